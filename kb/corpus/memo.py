"""What loading a corpus reuses across builds, so that adding one volume costs that volume.

In: documents (and pairs of questions to compare, texts to derive from). Out: each document's
clauses and Q&As as :func:`~kb.corpus.clauses.segment` and :func:`~kb.corpus.qa.extract` give
them, whether two questions are alike (:func:`kb.corpus.rulings.repeated_questions`), and what a
later stage derives from a clause's or a ruling's texts alone (:func:`kb.search.units.build_units`:
search texts, the services a text names), from the cache when an earlier load made them.

The cache is one file under :func:`kb.locations.cache_dir` ``/corpus``, named by
:func:`kb.locations.code_fingerprint` (a change to the code starts a new one): a document is
looked up by a digest of all its fields (text and metadata), a pair of questions by the digests
of both, a derived value by a digest of everything it is made from. What a load did not use is
kept while it is no more than what it used (a test's small corpus beside the real one), else
dropped, so the file holds about one corpus's worth. A cache that cannot be read or written costs time, nothing else.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

KEEP = 2  # cache files kept (one per code version: the one before stays for a switch back)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class Memo:
    def __init__(self, path: Path | None = None, data: dict | None = None):
        self.path = path
        self._docs: dict[bytes, tuple] = (data or {}).get("docs", {})
        self._pairs: dict[bytes, bool] = (data or {}).get("pairs", {})
        self._used_docs: dict[bytes, tuple] = {}
        self._used_pairs: dict[bytes, bool] = {}
        self._made: dict[bytes, object] = (data or {}).get("made", {})
        self._used_made: dict[bytes, object] = {}
        self._keys: dict[str, bytes] = {}
        self._changed = False

    @classmethod
    def open(cls, enabled: bool = True) -> "Memo":
        """The cache of this code version; an empty memo that saves nothing without a cache folder."""
        from ..locations import cache_dir, code_fingerprint

        folder = cache_dir() if enabled else None
        if folder is None:
            return cls()
        path = folder / "corpus" / f"{code_fingerprint()}.pickle"
        try:
            data = pickle.loads(path.read_bytes())
            os.utime(path)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            data = None
        valid = isinstance(data, dict) and all(isinstance(data.get(k), dict) for k in ("docs", "pairs", "made"))
        return cls(path, data if valid else None)

    # ---------------------------------------------------------------- documents
    def segmented(self, doc, make) -> tuple[list, list]:
        """``make(doc)`` -> (clauses, Q&As), or what it gave for the same document before."""
        key = _digest(pickle.dumps(doc, 5))
        found = self._docs.get(key)
        if found is None:
            found = make(doc)
            self._changed = True
        self._used_docs[key] = found
        return found

    # ---------------------------------------------------------------- question pairs
    def alike(self, a: str, b: str, compare) -> bool:
        """``compare(a, b)``, or its answer for the same two texts before (in either order)."""
        ka, kb = self._key(a), self._key(b)
        key = ka + kb if ka < kb else kb + ka
        found = self._pairs.get(key)
        if found is None:
            found = compare(a, b)
            self._changed = True
        self._used_pairs[key] = found
        return found

    # ---------------------------------------------------------------- anything made from texts
    def made(self, parts: tuple[str, ...], make):
        """``make()``, or what it gave before for the same ``parts``: every text the result is made
        from and a name for how (a later stage's work on a clause or a ruling, e.g. its search texts)."""
        key = _digest("\x1f".join(parts).encode("utf-8"))
        found = self._made.get(key)
        if found is None:
            found = make()
            self._changed = True
        self._used_made[key] = found
        return found

    def _key(self, text: str) -> bytes:
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = _digest(text.encode("utf-8"))
        return key

    # ---------------------------------------------------------------- writing
    def save(self) -> None:
        """Write what this load used and what it kept (when it made anything new), atomically."""
        if self.path is None or not self._changed:
            return
        docs, pairs, made = self._used_docs, self._used_pairs, self._used_made
        stale_docs = {k: v for k, v in self._docs.items() if k not in docs}
        if len(stale_docs) <= len(docs):
            docs = {**stale_docs, **docs}
            pairs = {**{k: v for k, v in self._pairs.items() if k not in pairs}, **pairs}
            made = {**{k: v for k, v in self._made.items() if k not in made}, **made}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_bytes(pickle.dumps({"docs": docs, "pairs": pairs, "made": made}, 5))
            tmp.replace(self.path)
            olds = sorted(self.path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in olds[KEEP:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass
        self._docs, self._pairs, self._made, self._changed = docs, pairs, made, False
