"""What loading a corpus reuses across builds, so that adding one volume costs that volume.

In: documents (and pairs of questions to compare, texts to derive from). Out: each document's
clauses and Q&As as :func:`~kb.corpus.clauses.segment` and :func:`~kb.corpus.qa.extract` give
them, whether two questions are alike (:func:`kb.corpus.rulings.repeated_questions`), and what a
later stage derives from a clause's or a ruling's texts alone (:func:`kb.search.units.build_units`:
search texts, the services a text names), from the cache when an earlier load made them.

The cache is a folder under :func:`kb.locations.cache_dir` ``/corpus``, named by
:func:`kb.locations.code_fingerprint` (a change to the code starts a new one): a file per
document, named by a digest of all its fields (text and metadata), holding its clauses, its Q&As
and each Q&A's content digest (:func:`entry`: the site's page keys take it, :meth:`Memo.object_digest`,
instead of pickling every ruling again), and one file of the pairs of
questions (by the digests of both) and the values derived (by a digest of everything each is made
from). What a load did not use is
kept while it is no more than what it used (a test's small corpus beside the real one), else
dropped, so the file holds about one corpus's worth. A cache that cannot be read or written costs time, nothing else.
"""
from __future__ import annotations

import hashlib
import io
import marshal
import os
import pickle
import shutil
from pathlib import Path

from ..sources.files import write_atomic

KEEP = 2  # code versions kept (the one before stays for a switch back)
TEXTS_FILE = "texts.marshal"  # the question comparisons and the texts derived


def _digest(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()[:16]  # twice blake2b's speed here (SHA extensions): 40 MB a load


def _text_digest(text: str) -> bytes:
    """:func:`_digest` of a text as UTF-16: for Japanese, two bytes a character to encode and to
    digest where UTF-8 takes three (a third less time for the units' texts)."""
    return _digest(text.encode("utf-16-le", "surrogatepass"))


def content_digest(value) -> bytes:
    """A lossless digest of ``value``, so equal digests mean equal values: its pickle (protocol 5,
    without the memo of shared objects, so the same content gives the same bytes however its objects
    are shared). :class:`kb.site.reuse.Digests` digests objects with it; the memo keeps each ruling's,
    made once with the document's entry (:meth:`Memo.object_digest`). One pickler serves every call
    (the site digests tens of thousands of values)."""
    _PICKLED.seek(0)
    _PICKLED.truncate()
    _PICKLER.dump(value)
    return hashlib.blake2b(_PICKLED.getvalue(), digest_size=16).digest()


_PICKLED = io.BytesIO()
_PICKLER = pickle.Pickler(_PICKLED, protocol=5)
_PICKLER.fast = True  # no memo (see content_digest)


def entry(made: tuple[list, list]) -> tuple[list, list, list[bytes]]:
    """A document's entry as the memo keeps it: its (clauses, Q&As) and each Q&A's :func:`content_digest`."""
    clauses, qas = made
    return clauses, qas, [content_digest(q) for q in qas]


def parts_key(parts: tuple[str, ...]) -> bytes:
    """The key :meth:`Memo.made_all` finds what was made of ``parts`` by."""
    return _text_digest("\x1f".join(parts))


class Memo:
    def __init__(self, folder: Path | None = None, data: dict | None = None):
        self.folder = folder  # None: nothing read or written
        self._pairs: dict[bytes, bool] = (data or {}).get("pairs", {})
        self._used_pairs: dict[bytes, bool] = {}
        self._made: dict[bytes, object] = (data or {}).get("made", {})
        self._used_made: dict[bytes, object] = {}
        self._keys: dict[str, bytes] = {}
        self._used_docs: set[str] = set()  # names of the document files this load used
        self._new_docs: dict[str, tuple] = {}  # name -> (clauses, Q&As) made by this load
        self._ready: dict[str, bytes] = {}  # name -> (clauses, Q&As) pickled, made by workers (prepare)
        self._coming: dict[str, None] = {}  # names of the documents sent to the workers, in order
        self._results = iter(())  # what the workers make of them, in the same order
        self._written: set[str] = set()  # names of the document files the workers wrote already
        self._names: dict[int, tuple[object, str]] = {}  # id(document) -> (it, its file's name)
        self._digests: dict[int, tuple[object, bytes]] = {}  # id(Q&A) -> (it, its content_digest), as loaded
        self._changed = False
        self._apart: bool | None = None  # in a child recording apart (see apart): whether pairs_still_stand was called

    @classmethod
    def open(cls, enabled: bool = True) -> "Memo":
        """The cache of this code version; an empty memo that saves nothing without a cache folder."""
        from ..locations import cache_dir, cache_settled, code_fingerprint

        base = cache_dir() if enabled else None
        if base is None:
            return cls()
        folder = base / "corpus" / code_fingerprint()
        try:
            with cache_settled(base):  # (what the previous build still writes, written first)
                data = marshal.loads((folder / TEXTS_FILE).read_bytes())
            os.utime(folder)
        except (OSError, EOFError, ValueError, TypeError):
            data = None
        valid = isinstance(data, dict) and all(isinstance(data.get(k), dict) for k in ("pairs", "made"))
        return cls(folder, data if valid else None)

    # ---------------------------------------------------------------- documents
    def prepare(self, docs: list, make_pickled, pool) -> None:
        """Have ``pool``'s workers (:func:`kb.processes.workers`) make, side by side, what
        :meth:`segmented` will be asked for the documents no earlier load made:
        ``make_pickled((doc, path))`` gives it pickled and writes it to ``path`` (the document's
        file in this memo's folder; None: nowhere), or None where making it failed (:meth:`segmented`
        then makes it here, and the error is raised as it would be without workers). Reading the
        corpus afresh (a first build, a new code version) is then about half as long on two cores."""
        self._receive(None)  # what an earlier call sent
        def known(name: str) -> bool:
            return name in self._ready or (self.folder is not None and (self.folder / name).exists())

        # (a document given twice is made once)
        todo = list({name: doc for doc in docs if not known(name := self._name(doc))}.items())
        if len(todo) < 2:  # one document: as quick here as sent to a worker
            return
        folder = self.folder
        try:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
        except OSError:  # a cache that cannot be written: the documents are made all the same
            folder = None
        jobs = [(doc, str(folder / name) if folder is not None else None) for name, doc in todo]
        self._results = pool.imap(make_pickled, jobs)  # sent now, read as segmented() asks (in order)
        self._coming = dict.fromkeys(name for name, _doc in todo)

    def _receive(self, name: str | None) -> bytes | None:
        """What a worker made of the document ``name`` (prepare): the results read up to it (all of
        them for None), the others kept for later."""
        while self._coming and (name is None or name in self._coming):
            got = next(iter(self._coming))
            del self._coming[got]
            made = next(self._results)
            if made is not None:
                self._ready[got], written = made
                if written:
                    self._written.add(got)
            if got == name:
                break
        return self._ready.pop(name, None) if name is not None else None

    def _name(self, doc) -> str:
        known = self._names.get(id(doc))
        if known is None or known[0] is not doc:
            known = self._names[id(doc)] = doc, _digest(pickle.dumps(doc, 5)).hex() + ".pickle"
        return known[1]

    def document_key(self, doc) -> str:
        """A digest of everything of ``doc`` (a loaded :class:`~kb.corpus.documents.Document`) its
        clauses and Q&As are read from: what the memo finds them by."""
        return self._name(doc).removesuffix(".pickle")

    def segmented(self, doc, make) -> tuple[list, list]:
        """``make(doc)`` -> (clauses, Q&As), or what it gave for the same document before: one file
        per document, read only for the documents loaded (the memo's other parts are small), or
        what a worker made of it (:meth:`prepare`)."""
        name = self._name(doc)
        found = None
        if (ready := self._receive(name)) is not None:
            found = pickle.loads(ready)
            self._new_docs[name] = found
            self._changed = True
        elif self.folder is not None:
            try:
                found = pickle.loads((self.folder / name).read_bytes())
                if not (isinstance(found, tuple) and len(found) == 3 and len(found[2]) == len(found[1])):
                    found = None  # (another format: made again)
            except Exception:  # none yet, or damaged: made again
                found = None
        if found is None:
            found = entry(make(doc))
            self._new_docs[name] = found
            self._changed = True
        self._used_docs.add(name)
        clauses, qas, digests = found
        for q, digest in zip(qas, digests):
            self._digests[id(q)] = q, digest
        return clauses, qas

    def forget_digests(self) -> None:
        """Drop what :meth:`object_digest` answers from (the build's process, once the site's child,
        which reads them, has its copy: two megabytes at 10,000 Q&As the index's child need not carry)."""
        self._digests = {}

    def object_digest(self, obj) -> bytes | None:
        """The :func:`content_digest` of a Q&A as :meth:`segmented` gave it (made with its document's
        entry, not again); None for any other object (a Q&A the load replaced: merged, relabelled)."""
        hit = self._digests.get(id(obj))
        return hit[1] if hit is not None and hit[0] is obj else None

    # ---------------------------------------------------------------- question pairs
    def pairs_still_stand(self) -> None:
        """Keep every comparison an earlier load remembered as used by this one: the caller starts
        from what they found (:func:`kb.corpus.rulings.repeated_questions`'s earlier groups) and
        compares only what is new, and they are what it needs when it cannot (a volume replaced)."""
        if self._apart is not None:  # (recorded, and done by the parent: take)
            self._apart = True
            return
        for key, found in self._pairs.items():
            self._used_pairs.setdefault(key, found)

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
        key = parts_key(parts)
        found = self._made.get(key)
        if found is None:
            found = make()
            self._changed = True
        self._used_made[key] = found
        return found

    def state(self, name: str):
        """What :meth:`keep` kept under ``name`` at an earlier load of this code; None if nothing."""
        return self._made.get(self._state_key(name))

    def keep(self, name: str, value) -> None:
        """Keep ``value`` (plain data: what marshal writes) under ``name`` for the next load: a
        stage's record of what it found (:func:`kb.corpus.rulings.repeated_questions`'s groups)."""
        key = self._state_key(name)
        if self._made.get(key) != value:
            self._changed = True
        self._used_made[key] = value

    @staticmethod
    def _state_key(name: str) -> bytes:
        return _text_digest(f"state\x1f{name}")

    def made_all(self, keys: list[bytes], jobs: list, make_all) -> list:
        """:meth:`made` for many at once: each job's value, found by its key (the :func:`parts_key` of
        what it is made from); those no earlier load made are made by one call
        ``make_all([job, ...])`` -> their values in order (which may share them out among worker
        processes)."""
        made, used = self._made, self._used_made
        todo = {}  # key -> its job, once each
        for key, job in zip(keys, jobs):
            if key not in made and key not in used:
                todo.setdefault(key, job)
        if todo:
            used.update(zip(todo, make_all(list(todo.values()))))
            self._changed = True
        out = []
        for key in keys:
            found = used.get(key)
            if found is None:
                found = used[key] = made[key]
            out.append(found)
        return out

    def _key(self, text: str) -> bytes:
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = _text_digest(text)
        return key

    # ---------------------------------------------------------------- work in a forked child
    def apart(self) -> None:
        """In a forked child: record from now on only what this copy uses, for :meth:`used` (the
        parent takes it: :meth:`take`), so the next load reuses what the child made too."""
        self._used_made, self._used_pairs, self._changed, self._apart = {}, {}, False, False

    def used(self) -> tuple:
        """What this copy used since :meth:`apart` (plain values, small: what a child's work made)."""
        return self._used_made, self._used_pairs, self._changed, bool(self._apart)

    def take(self, used: tuple) -> None:
        """What a child's copy :meth:`used`, as if this memo had been used for the child's work."""
        made, pairs, changed, still_stand = used
        if still_stand:
            self.pairs_still_stand()
        self._used_pairs.update(pairs)
        self._used_made.update(made)
        self._changed = self._changed or changed

    # ---------------------------------------------------------------- writing
    def unsaved(self) -> bool:
        """Whether :meth:`save` has anything to write."""
        return self.folder is not None and self._changed

    def save(self) -> None:
        """Write what this load made (when it made anything new), each file atomically; drop the
        documents and texts no recent load used (kept while no more than those used: a test's small
        corpus beside the real one), and the folders of other code versions but the last."""
        if self.folder is None or not self._changed:
            return
        pairs, made = self._used_pairs, self._used_made
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name, value in self._new_docs.items():
                if name not in self._written:  # (a worker wrote the others: prepare)
                    write_atomic(self.folder / name, pickle.dumps(value, 5))
            stale = [p for p in self.folder.glob("*.pickle") if p.name not in self._used_docs]
            if len(stale) <= len(self._used_docs):
                pairs = {**{k: v for k, v in self._pairs.items() if k not in pairs}, **pairs}
                made = {**{k: v for k, v in self._made.items() if k not in made}, **made}
            else:
                for p in stale:
                    p.unlink(missing_ok=True)
            write_atomic(self.folder / TEXTS_FILE, marshal.dumps({"pairs": pairs, "made": made}, 2))
            others = sorted((p for p in self.folder.parent.iterdir() if p != self.folder and p.is_dir()),
                            key=lambda p: p.stat().st_mtime, reverse=True)
            for old in others[KEEP - 1:]:  # older code's folders
                shutil.rmtree(old, ignore_errors=True)
            for old in self.folder.parent.glob("*.*"):  # an older format's files
                old.unlink(missing_ok=True)
        except OSError:
            pass
        self._pairs, self._made, self._new_docs, self._changed = pairs, made, {}, False

