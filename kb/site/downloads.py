"""The site's downloads (:mod:`kb.site.export`) written into a new build, reusing the last one.

In: the site's data, the previous site folder and the site's state folder (None and None
for a clean build). Out: ``downloads/*.csv|json`` under the new site folder, and in
``<state>/downloads/`` what the next build reuses: every ruling's CSV line, keyed by a digest of
what its record (:func:`~kb.corpus.records.qa_dict`) is made of, in one file per document
(``lines/``: a file whose rulings' records are unchanged is hard-linked from the previous
build's state, not written again: 30 MB at 10,000 Q&As), and in ``pieces.pickle`` the digest of
every file's makings and of each document's lines.

A file is hard-linked from the previous build when its makings (its frame and its rulings'
digests) are the same. Else it is written: a service's CSV joined from the rulings' lines,
encoded only where no earlier build encoded the same record (a service's file repeats the
rulings of many volumes); a volume's JSON encoded afresh (its rulings are in no other file). The bytes are those of a clean build: a clean
build is the same code with nothing to reuse. Everything is keyed by
:func:`kb.locations.code_fingerprint` too; a missing or damaged state means a clean build.
"""
from __future__ import annotations

import hashlib
import pickle
from operator import attrgetter, itemgetter
from pathlib import Path

from ..corpus.qa import QA
from ..corpus.records import source_dict
from ..locations import code_fingerprint
from ..sources.files import linked
from .export import all_exports, file_path, frame, json_text, qa_csv
from .pages import SiteData
from .reuse import Digests

STATE = "downloads"  # under the site's state folder
PIECES = "pieces.pickle"
LINES = "lines"  # a document's rulings' CSV lines, one file each (see _shard)
BOM = "\ufeff".encode("utf-8")  # Excel reads a CSV with it as UTF-8
_ID, _FIRST, _SECOND = attrgetter("id"), itemgetter(0), itemgetter(1)


def write_exports(out_dir: Path, data: SiteData, *, previous: Path | None = None, state: Path | None = None,
                  digests: Digests | None = None) -> None:
    """Write every download of :func:`~kb.site.export.all_exports` under ``out_dir``.

    ``previous``: the previous build's site folder (its state is
    ``previous.parent / "state" / state.name``); ``state``: this build's site state folder;
    ``digests``: the rulings' digests the pages' plan made (:class:`kb.site.reuse.Digests`), if any."""
    fingerprint = code_fingerprint()
    old_lines, old_files, old_shards = _load(previous, state, fingerprint)
    made: dict[str, tuple[bytes, bytes]] = {}  # ruling id -> (digest, CSV line)
    shards: dict[str, list[str]] = {}  # the state's file of a document's lines -> its rulings' ids
    docs = {d.id: source_dict(d) for d in data.corpus.documents}
    digests = digests if digests is not None else Digests()

    def piece(q: QA) -> tuple[bytes, bytes]:
        got = made.get(q.id)
        if got is None:
            key = record_key(q, data.corpus, docs, digests)
            line = old_lines.get(key)
            got = made[q.id] = (key, line if line is not None else qa_csv(q).encode())
            shards.setdefault(_shard(q), []).append(q.id)
        return got

    files: dict[str, str] = {}
    (out_dir / "downloads").mkdir(parents=True, exist_ok=True)
    for e in all_exports(data):
        f = frame(e, data)
        try:  # (a service's rulings were all made for their volumes' files: looked up in C)
            pieces = list(map(made.__getitem__, map(_ID, e.qas)))
        except KeyError:
            pieces = [piece(q) for q in e.qas]
        makings = hashlib.blake2b("\x00".join([f.csv_head, f.csv_tail, f.json_head, f.json_tail]).encode())
        makings.update(b"".join(map(_FIRST, pieces)))  # (the same digest as one update per key)
        for fmt in e.formats:
            rel = file_path(e, fmt)
            files[rel] = makings.hexdigest()
            if previous is not None and old_files.get(rel) == files[rel] and linked(previous / rel, out_dir / rel):
                continue
            if fmt == "csv":
                body = [BOM, f.csv_head.encode(), *map(_SECOND, pieces), f.csv_tail.encode()]
            else:  # a volume's (no other file repeats its rulings): encoded when it changed
                body = [json_text(e, data).encode()]
            (out_dir / rel).write_bytes(b"".join(body))
    if state is not None:
        (state / STATE / LINES).mkdir(parents=True, exist_ok=True)
        saved = {}
        for name, ids in shards.items():
            lines = dict(map(made.__getitem__, ids))
            saved[name] = hashlib.blake2b(b"".join(lines.keys()), digest_size=16).digest()  # the same records, the same lines
            old = previous.parent / "state" / state.name / STATE / LINES / name if previous is not None else None
            if old is None or old_shards.get(name) != saved[name] or not linked(old, state / STATE / LINES / name):
                (state / STATE / LINES / name).write_bytes(pickle.dumps(lines, protocol=pickle.HIGHEST_PROTOCOL))
        with open(state / STATE / PIECES, "wb") as out:
            pickle.dump({"fingerprint": fingerprint, "files": files, "shards": saved}, out,
                        protocol=pickle.HIGHEST_PROTOCOL)


def _shard(q: QA) -> str:
    """The name of the state's file that holds a ruling's CSV line: its document's."""
    return hashlib.blake2b((q.source_doc or q.doc_id).encode("utf-8"), digest_size=8).hexdigest() + ".pickle"


def record_key(q: QA, corpus, docs: dict[str, dict], digests: Digests) -> bytes:
    """A digest of what :func:`~kb.corpus.records.qa_dict` makes a ruling's record of (the
    ruling, its status, amendments and their ends' citations, the rulings on the same
    question, its source and quoting documents), a fraction of the time of making it.
    Change it with qa_dict. ``docs``: document id -> its ``source_dict``; ``digests``: the ruling's
    own digest (lossless: its pickle's), made once per build (the pages' plan made them already)."""
    links = [*corpus.links_from(q.id), *corpus.links_to(q.id)]
    ends = [corpus.qas_by_id[i].citation for x in links for i in (x.newer, x.older) if i in corpus.qas_by_id]
    about = (corpus.statuses.get(q.id, ""), links, ends, corpus.earlier(q.id), corpus.newest(q.id),
             docs.get(q.source_doc or q.doc_id), [docs.get(x.doc_id) for x in q.quoted_in])
    # (a ruling parsed afresh or loaded from kb.corpus.memo: the same digest)
    return hashlib.blake2b(digests.object(q) + digests.pickled(about), digest_size=16).digest()


def _load(previous: Path | None, state: Path | None, fingerprint: str) -> tuple[dict, dict, dict]:
    """(CSV lines, files, digests of the documents' lines) the previous build saved; empty when
    there is none or it is unusable (a document's lines that cannot be read: those lines only)."""
    if previous is None or state is None:
        return {}, {}, {}
    folder = previous.parent / "state" / state.name / STATE
    try:
        with open(folder / PIECES, "rb") as f:
            saved = pickle.load(f)
        files, shards = saved["files"], saved["shards"]
        if saved["fingerprint"] != fingerprint or not isinstance(files, dict) or not isinstance(shards, dict):
            return {}, {}, {}
    except Exception:  # missing, cut short, another format: build clean, never fail
        return {}, {}, {}
    lines: dict[bytes, bytes] = {}
    readable = {}
    for name, digest in shards.items():
        try:
            got = pickle.loads((folder / LINES / name).read_bytes())
            if isinstance(got, dict) and all(type(k) is bytes and type(v) is bytes for k, v in got.items()):
                lines.update(got)
                readable[name] = digest
        except Exception:  # this document's lines are made again
            pass
    return lines, files, readable
