"""Whether a build would make what the build folder already holds: then the build does nothing.

A build's output depends on the corpus folder's files, the code and templates
(:func:`kb.locations.code_fingerprint`), the installed packages (Sudachi's dictionary, Whoosh,
Jinja …), the Python that runs it, ``SOURCE_DATE_EPOCH`` (the home page's date) and whether it makes
the site. :func:`inputs_key` digests all of them, and the corpus folder's place. A finished build writes its key, a digest of its
files as it left them (path, size, modification time) and its report into
``<build>/state/build.json`` (:func:`record`); the next build with the same key finds the same files
and stops there (:func:`previous_report`). A file removed, added or rewritten in the build folder, a
missing or damaged record, or anything else changed means a whole build, as before.

At 10,000 Q&As: reading the corpus (15 MB) and listing the build's 17,000 files, about a tenth of a
second, where the build itself takes several seconds even when it reuses everything.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from pathlib import Path

RECORD = Path("state") / "build.json"
VERSION = 2


def inputs_key(corpus_dir: Path, site: bool) -> str | None:
    """A digest of everything a build of ``corpus_dir`` reads (see the module's docstring); None
    when a file in it is not a regular file or cannot be read (a FIFO, a broken link: the build
    itself says what is wrong with it)."""
    import stat

    from .locations import code_fingerprint

    h = hashlib.sha1()
    h.update(f"{VERSION}\0{code_fingerprint()}\0{sys.version}\0{site}\0".encode())
    h.update(os.environ.get("SOURCE_DATE_EPOCH", "").strip().encode() + b"\0")
    h.update("\0".join(_packages()).encode() + b"\0")
    # nothing a build makes depends on where the corpus is; a moved one is built once more all the same
    h.update(os.fsencode(os.path.abspath(corpus_dir)) + b"\0")
    for rel, path in _files(Path(corpus_dir)):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # opening a FIFO would wait for a writer
                return None
            with open(path, "rb") as f:
                h.update(hashlib.sha1(f.read()).digest())
        except OSError:
            return None
    return h.hexdigest()


def _packages() -> list[str]:
    """The installed distributions, by name and version (their ``*.dist-info`` folders): a
    package upgraded or removed changes the key. Listing the folders is a millisecond, where
    asking importlib.metadata for each version is tens."""
    found = set()
    for key in ("purelib", "platlib"):
        folder = sysconfig.get_paths().get(key)
        try:
            found |= {n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info"))} if folder else set()
        except OSError:
            pass
    return sorted(found)


def _files(root: Path) -> list[tuple[str, str]]:
    """(path relative to ``root``, path) of every file below it, sorted; symbolic links followed
    (once each: a link back up is not walked again)."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        rel = os.path.relpath(folder, root)
        out += [(name if rel == "." else f"{rel}/{name}", os.path.join(folder, name)) for name in files]
    return sorted(out)


def folder_digest(folder: str, skip: str = "", known: dict[str, bytes] | None = None) -> bytes:
    """A digest of the files below ``folder`` as they are: name, size and modification time of each,
    each folder by its own digest (of its entries, by name). ``skip``: a file's path left out;
    ``known``: the digests of folders below it (by path) that :func:`folder_digest` made already, for
    what the build's children wrote and digested at their end (the same digests: not walked again)."""
    lines = []
    with os.scandir(folder) as entries:
        for e in sorted(entries, key=lambda e: e.name):
            if e.is_dir(follow_symlinks=False):
                sub = known.get(e.path) if known else None
                lines.append(f"{e.name}/\0{(sub or folder_digest(e.path, skip, known)).hex()}\0")
            elif e.path != skip:
                st = e.stat(follow_symlinks=False)
                lines.append(f"{e.name}\0{st.st_size}\0{st.st_mtime_ns}\0")
    return hashlib.sha1("".join(lines).encode("utf-8", "surrogateescape")).digest()


def files_digest(build_dir: Path, known: dict[str, bytes] | None = None) -> str:
    """A digest of the build folder's files as they are (:func:`folder_digest`; :data:`RECORD` left
    out). ``known``: folders' digests by their path relative to ``build_dir``, made by
    :func:`folder_digests` when their files were written (in the build's temporary folder: the
    names, sizes and modification times inside stay the same when it becomes ``build_dir``)."""
    root = str(build_dir)
    skip = os.path.join(root, str(RECORD))
    return folder_digest(root, skip, {os.path.join(root, k): v for k, v in (known or {}).items()}).hex()


def folder_digests(root: Path, folders: list[str]) -> dict[str, bytes]:
    """For :func:`files_digest`'s ``known``: the digest of each of ``folders`` (paths relative to
    ``root``) that exists, made by a child of the build once it wrote its last file there."""
    out = {}
    for rel in folders:
        path = os.path.join(str(root), rel)
        if os.path.isdir(path) and not os.path.islink(path):
            out[rel] = folder_digest(path)
    return out


def record(build_dir: Path, key: str, report: dict, user_dic: str | None,
           known: dict[str, bytes] | None = None) -> None:
    """Write down, in the finished build, what :func:`previous_report` compares (``known``: see
    :func:`files_digest`)."""
    from .sources.files import write_atomic

    path = Path(build_dir) / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": VERSION, "key": key, "files": files_digest(Path(build_dir), known), "report": report,
            "user_dic": user_dic}
    write_atomic(path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def previous_report(build_dir: Path, key: str | None) -> dict | None:
    """The report of the build in ``build_dir`` when it was made from inputs with this key and its
    files are as it left them; else None (a record missing, damaged or of other inputs)."""
    if key is None:
        return None
    try:
        data = json.loads((Path(build_dir) / RECORD).read_bytes())
        if not (isinstance(data, dict) and data.get("version") == VERSION and data.get("key") == key
                and isinstance(data.get("report"), dict)):
            return None
        if data.get("files") != files_digest(Path(build_dir)):
            return None
        return {**data["report"], "user_dic": data.get("user_dic")}
    except (OSError, ValueError):
        return None
