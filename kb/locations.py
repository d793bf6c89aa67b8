"""Where things are: the package's own folders and the default corpus and build folders.

Imports nothing of kb, so a command learns its folders without loading any stage.
"""
from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Iterator

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the checkout: corpus/, site_templates/


def default_corpus_dir() -> Path:
    env = os.environ.get("KAIGO_KB_CORPUS")
    if env:
        return Path(env)
    here = Path.cwd() / "corpus"
    return here if here.is_dir() else PACKAGE_ROOT / "corpus"


def default_build_dir() -> Path:
    env = os.environ.get("KAIGO_KB_BUILD")
    if env:
        return Path(env)
    here = Path.cwd() / "corpus"
    return (Path.cwd() if here.is_dir() else PACKAGE_ROOT) / "build"


def cache_dir() -> Path | None:
    """Where builds keep what they can reuse across runs (compiled user dictionaries):
    $KAIGO_KB_CACHE, else $XDG_CACHE_HOME/kaigo-kb, else ~/.cache/kaigo-kb. ``KAIGO_KB_CACHE=off``
    turns caching off (None)."""
    env = os.environ.get("KAIGO_KB_CACHE")
    if env:
        return None if env.lower() in ("off", "0", "no") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kaigo-kb"


CACHE_LOCK = "writing.lock"  # held by the process writing the caches after a build (kb.build._remember)


def locked(path: Path, *, exclusive: bool) -> int | None:
    """``path`` opened (made, with its folder, if missing) and locked (``flock``, shared or
    exclusive: waits for the holder of the other kind); its descriptor, to close when done, or None
    where the file cannot be made (a read-only cache: nothing to wait for)."""
    import fcntl

    fd = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        return fd
    except OSError:
        if fd is not None:
            os.close(fd)
        return None


@contextlib.contextmanager
def cache_settled(folder: Path | None) -> Iterator[None]:
    """While reading the cache in ``folder``: the caches a finished build still writes
    (:func:`kb.processes.detached`) written first, so the next build reuses them however soon it
    starts. Waits for nothing when no build writes; a cache folder that cannot be written is read
    without waiting."""
    fd = locked(folder / CACHE_LOCK, exclusive=False) if folder is not None else None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


@functools.cache  # once per process: the code it runs is the code it read
def code_fingerprint() -> str:
    """A digest of the code and templates that make a build (every ``kb/**/*.py`` and every
    file under ``site_templates/``, by path and content): what a build reuses from the previous
    one (kb.build) is reusable only when this is unchanged. About 10 ms."""
    import hashlib

    h = hashlib.sha256()
    files = sorted([*(PACKAGE_ROOT / "kb").rglob("*.py"), *(p for p in (PACKAGE_ROOT / "site_templates").rglob("*")
                                                           if p.is_file())])
    for p in files:
        h.update(p.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()[:32]
