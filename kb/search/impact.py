"""Precomputed BM25F impacts: Whoosh's per-posting scores, cached for speed.

A query's score is a weighted sum over its terms of Whoosh's BM25F score of each
term in each field (times the field boost). That score depends only on the term,
the document and the field, so the build computes it once and stores one posting list
per term: documents and their field-boosted score. A query then adds up a few arrays
instead of walking Whoosh's matchers in Python (about 10 µs a posting, a second per
query at 10,000 Q&As; see BENCHMARKS.md).

The build computes the scores from its own analysis of the units with Whoosh's formula
(:func:`whoosh.scoring.bm25`; idf ``log(N / (df + 1)) + 1`` per field; the document's
field length as Whoosh stores it, in one lossy byte; the exact average): the same
numbers as asking Whoosh's scorer for every posting (tests/test_index.py compares
them), without reading the index back.

Files in the index folder: ``impacts.bin`` (per term: uint32 doc numbers, then
float32 scores) and ``impacts.idx`` (marshal: term -> (byte offset, count)).
"""
from __future__ import annotations

import marshal
import mmap
from array import array
from collections import Counter
from math import log
from pathlib import Path

BIN, IDX = "impacts.bin", "impacts.idx"


def field_counts(texts: list[str], tokenize) -> tuple[list[Counter], list[int]]:
    """Per document: the term counts (Whoosh's tf) and the token count (its field length)."""
    counts, lengths = [], []
    for text in texts:
        toks = tokenize(text) if text else []
        counts.append(Counter(t.term for t in toks))
        lengths.append(len(toks))
    return counts, lengths


def compute_impacts(fields: dict[str, list[str]], tokenize, field_boosts: dict[str, float], B: float,
                    K1: float) -> dict[str, dict[int, float]]:
    """term -> {document number: field-boosted BM25F score}, as Whoosh scores it.

    ``fields``: field name -> the field's text of every document, in document order."""
    from whoosh.scoring import bm25
    from whoosh.util.numeric import byte_to_length, length_to_byte

    impacts: dict[str, dict[int, float]] = {}
    for fname, boost in field_boosts.items():
        counts, lengths = field_counts(fields[fname], tokenize)
        n_docs = len(lengths)
        avgfl = (sum(lengths) / n_docs if n_docs else 0) or 1
        stored = [byte_to_length(length_to_byte(n)) for n in lengths]
        df: Counter = Counter()
        for c in counts:
            df.update(c.keys())
        idf = {t: log(n_docs / (n + 1)) + 1 for t, n in df.items()}
        for d, c in enumerate(counts):
            fl = stored[d]
            for term, tf in c.items():
                acc = impacts.setdefault(term, {})
                acc[d] = acc.get(d, 0.0) + boost * bm25(idf[term], tf, fl, avgfl, B, K1)
    return impacts


def write_impacts(index_dir: Path, impacts: dict[str, dict[int, float]]) -> None:
    table = {}
    with open(Path(index_dir) / BIN, "wb") as out:
        offset = 0
        for term in sorted(impacts):
            docs = sorted(impacts[term])
            out.write(array("I", docs).tobytes())
            out.write(array("f", [impacts[term][d] for d in docs]).tobytes())
            table[term] = (offset, len(docs))
            offset += 8 * len(docs)
    (Path(index_dir) / IDX).write_bytes(marshal.dumps(table))


class Impacts:
    def __init__(self, index_dir: Path):
        self.table = marshal.loads((Path(index_dir) / IDX).read_bytes())
        with open(Path(index_dir) / BIN, "rb") as f:
            size = f.seek(0, 2)
            self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def df(self, term: str) -> int:
        """How many documents contain the term (in any field)."""
        entry = self.table.get(term)
        return entry[1] if entry else 0

    def postings(self, term: str) -> tuple[array, array]:
        """(doc numbers, field-boosted BM25F scores) of a term; empty when unknown."""
        entry = self.table.get(term)
        docs, scores = array("I"), array("f")
        if entry:
            offset, n = entry
            docs.frombytes(self.data[offset:offset + 4 * n])
            scores.frombytes(self.data[offset + 4 * n:offset + 8 * n])
        return docs, scores
