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
them), without reading the index back, from the postings the Whoosh segment is written
from (:mod:`kb.search.segment`).

Files in the index folder: ``impacts.bin`` (per term: uint32 doc numbers, then
float32 scores) and ``impacts.idx`` (marshal: term -> (byte offset, count)).
"""
from __future__ import annotations

import marshal
import mmap
from array import array
from math import log
from pathlib import Path
from typing import Iterable, Iterator

BIN, IDX = "impacts.bin", "impacts.idx"


def impacts(fields: dict[str, tuple[dict, list[int]]], field_boosts: dict[str, float], B: float,
            K1: float) -> Iterator[tuple[str, list[int], list[float]]]:
    """(term, document numbers, field-boosted BM25F scores) of every term, in term order, as
    Whoosh scores them: :func:`whoosh.scoring.bm25` written out, operation for operation, with
    each document's length term worked out once.

    ``fields``: field name -> its postings and field lengths (:func:`kb.search.analysed.postings`).

    The N, the average lengths and the document frequencies change with every unit added, so
    every build computes every score (2 million at 10,000 Q&As): one list comprehension per term
    and field, kept as doubles; a term's fields summed in a dict, in field order, only where it
    has several, when the term is written."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    k1p1 = K1 + 1
    # term -> (docs, scores) per field it is in, in field order; scores as doubles (8 bytes each,
    # not a float object: 2 million of them)
    scored: dict[str, list[tuple]] = {}
    for fname, boost in field_boosts.items():
        post, lengths = fields[fname]
        n_docs = len(lengths)
        avgfl = (sum(lengths) / n_docs if n_docs else 0) or 1
        stored = {n: byte_to_length(length_to_byte(n)) for n in set(lengths)}  # as Whoosh reads a length back
        norm = [K1 * ((1 - B) + B * stored[n] / avgfl) for n in lengths]
        once = [k1p1 / (1 + x) for x in norm]  # (tf * k1p1) / (tf + norm) where tf is 1: the same float
        for term, (docs, tfs) in post.items():
            idf = log(n_docs / (len(docs) + 1)) + 1
            if max(tfs) == 1:  # most terms: each document holds them once
                scores = array("d", [boost * (idf * once[d]) for d in docs])
            else:
                scores = array("d", [boost * (idf * ((tf * k1p1) / (tf + norm[d]))) for d, tf in zip(docs, tfs)])
            found = scored.get(term)
            if found is None:
                scored[term] = [(docs, scores)]
            else:
                found.append((docs, scores))
    for term in sorted(scored):
        parts = scored.pop(term)
        if len(parts) == 1:
            yield term, parts[0][0], parts[0][1].tolist()
            continue
        acc = dict(zip(*parts[0]))
        for docs, scores in parts[1:]:  # fields summed in the same order as ever: the same floats
            get = acc.get
            acc.update(zip(docs, [get(d, 0.0) + sc for d, sc in zip(docs, scores)]))
        docs = sorted(acc)
        yield term, docs, list(map(acc.__getitem__, docs))


def write_impacts(index_dir: Path, scored: Iterable[tuple[str, list[int], list[float]]]) -> None:
    """``impacts.bin`` and ``impacts.idx`` from (term, documents, scores) in term order."""
    table = {}
    with open(Path(index_dir) / BIN, "wb", buffering=1 << 22) as out:  # a write per 4 MB, not two per term
        offset = 0
        for term, docs, scores in scored:
            out.write(array("I", docs))
            out.write(array("f", scores))
            table[term] = (offset, len(docs))
            offset += 8 * len(docs)
    (Path(index_dir) / IDX).write_bytes(marshal.dumps(table, 2))  # version 2: the same bytes for the same table


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
