"""Precomputed BM25F impacts: Whoosh's own per-posting scores, cached for speed.

A query's score is a weighted sum over its terms of Whoosh's BM25F score of each
term in each field (times the field boost). That score depends only on the term,
the document and the field, so the build computes it once, with Whoosh's scorer,
and stores one posting list per term: documents and their field-boosted score.
A query then adds up a few arrays instead of walking Whoosh's matchers in Python
(about 10 µs a posting, a second per query at 10,000 Q&As; see BENCHMARKS.md).

Files in the index folder: ``impacts.bin`` (per term: uint32 doc numbers, then
float32 scores) and ``impacts.idx`` (marshal: term -> (byte offset, count)).
"""
from __future__ import annotations

import marshal
import mmap
from array import array
from pathlib import Path

BIN, IDX = "impacts.bin", "impacts.idx"


def write_impacts(index_dir: Path, field_boosts: dict[str, float], B: float, K1: float) -> None:
    from whoosh import index, scoring

    ix = index.open_dir(str(index_dir))
    with ix.searcher(weighting=scoring.BM25F(B=B, K1=K1)) as searcher:
        reader = searcher.reader()
        impacts: dict[str, dict[int, float]] = {}
        for fname, boost in field_boosts.items():
            for raw in reader.lexicon(fname):
                term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                scorer = searcher.weighting.scorer(searcher, fname, term)
                m = reader.postings(fname, term)
                acc = impacts.setdefault(term, {})
                while m.is_active():
                    d = m.id()
                    acc[d] = acc.get(d, 0.0) + boost * scorer.score(m)
                    m.next()
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
