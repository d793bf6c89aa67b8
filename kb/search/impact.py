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
from typing import Iterator

BIN, IDX = "impacts.bin", "impacts.idx"


def write_impacts(index_dir: Path, fields: dict[str, tuple[dict, list[int]]], field_boosts: dict[str, float],
                  B: float, K1: float) -> None:
    """``impacts.bin`` and ``impacts.idx`` from the units' postings: every term's documents and
    field-boosted BM25F scores, as Whoosh scores them (:func:`whoosh.scoring.bm25` written out,
    operation for operation).

    ``fields``: field name -> its postings and field lengths (:func:`kb.search.analysed.postings`).

    The N, the average lengths and the document frequencies change with every unit added, so
    every build computes every score (2 million at 10,000 Q&As). They are computed as arrays
    (numpy): each operation of the formula on every posting at once, in doubles as Python's
    floats, in the same order, so the same numbers as one posting at a time; a term's fields
    summed in field order. The terms go a slice at a time (about :data:`CHUNK` postings), which
    bounds the arrays' memory."""
    import numpy as np

    k1p1 = K1 + 1
    per_field = []  # (postings, boost, norm, once, N) in field order
    for fname, boost in field_boosts.items():
        post, lengths = fields[fname]
        n_docs = len(lengths)
        avgfl = (sum(lengths) / n_docs if n_docs else 0) or 1
        norm = np.array([K1 * ((1 - B) + B * n / avgfl) for n in stored_lengths(lengths)], dtype=np.float64)
        per_field.append((post, boost, norm, k1p1 / (1 + norm), n_docs))
    n_units = max([len(f[2]) for f in per_field] + [1])
    terms = sorted(set().union(*(f[0] for f in per_field)))
    table: dict[str, tuple[int, int]] = {}
    offset = 0
    with open(Path(index_dir) / BIN, "wb") as out:
        for chunk in _chunks(terms, [f[0] for f in per_field]):
            docs, scores, counts = _chunk_impacts(chunk, per_field, k1p1, n_units)
            out.write(_interleaved(docs, scores, counts))
            for term, count in zip(chunk, counts.tolist()):
                table[term] = (offset, count)
                offset += 8 * count
    (Path(index_dir) / IDX).write_bytes(marshal.dumps(table, 2))  # version 2: the same bytes for the same table


def stored_lengths(lengths: list[int]) -> list[int]:
    """Field lengths as Whoosh keeps them (one byte each, lossy) and reads them back, each distinct
    length converted once: what BM25F scores with, here, in the Whoosh segment and in the browser."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    stored = {n: byte_to_length(length_to_byte(n)) for n in set(lengths)}
    return list(map(stored.__getitem__, lengths))


CHUNK = 1 << 18  # postings scored together (the arrays of a slice: a few tens of MB)


def _chunks(terms: list[str], posts: list[dict]) -> Iterator[list[str]]:
    """``terms`` in slices of consecutive terms holding about :data:`CHUNK` postings in all."""
    chunk, size = [], 0
    for term in terms:
        chunk.append(term)
        size += sum(len(p[term][0]) for p in posts if term in p)
        if size >= CHUNK:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _chunk_impacts(chunk: list[str], per_field: list, k1p1: float, n_units: int):
    """The documents (ascending within each term) and scores of the terms of ``chunk``, term
    after term, and each term's count of documents."""
    import numpy as np

    from .analysed import NUMBERS

    keys, scores = [], []
    for post, boost, norm, once, n_docs in per_field:
        names = [(i, post[t]) for i, t in enumerate(chunk) if t in post]
        if not names:
            continue
        counts = np.array([len(docs) for _i, (docs, _tfs) in names], dtype=np.int64)
        docs = np.frombuffer(b"".join(docs for _i, (docs, _tfs) in names), dtype=NUMBERS).astype(np.int64)
        tfs = np.frombuffer(b"".join(tfs for _i, (_docs, tfs) in names), dtype=NUMBERS)
        idf = np.repeat(np.array([log(n_docs / (len(docs) + 1)) + 1 for _i, (docs, _tfs) in names]), counts)
        # (tf * k1p1) / (tf + norm) is k1p1 / (1 + norm) where tf is 1: the same float
        score = idf * once[docs]
        many = np.flatnonzero(tfs != 1)
        if len(many):
            tf = tfs[many].astype(np.float64)
            score[many] = idf[many] * ((tf * k1p1) / (tf + norm[docs[many]]))
        keys.append(np.repeat(np.array([i for i, _p in names], dtype=np.int64), counts) * n_units + docs)
        scores.append(boost * score)
    key = np.concatenate(keys)
    score = np.concatenate(scores)
    order = np.argsort(key, kind="stable")  # each field's keys ascending: runs merged, fields kept in order
    key, score = key[order], score[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    sizes = np.diff(np.append(starts, len(key)))
    total = score[starts]
    for k in range(1, int(sizes.max(initial=1))):  # a posting's fields added one after the other, in field order
        more = np.flatnonzero(sizes > k)
        total[more] += score[starts[more] + k]
    key = key[starts]
    counts = np.bincount(key // n_units, minlength=len(chunk))
    return (key % n_units).astype(np.uint32), total.astype(np.float32), counts


def _interleaved(docs, scores, counts) -> bytes:
    """impacts.bin's bytes for consecutive terms: each term's uint32 documents, then its float32 scores."""
    import numpy as np

    first = np.repeat(np.cumsum(counts) - counts, counts)  # each posting's term's first posting
    at = np.arange(len(docs)) + first  # a term's documents from 2 * first, its scores right after them
    out = np.empty(2 * len(docs), dtype=np.uint32)
    out[at] = docs
    out[at + np.repeat(counts, counts)] = scores.view(np.uint32)
    return out.tobytes()


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
