"""Where things are: the package's own folders and the default corpus and build folders.

Imports nothing of kb, so a command learns its folders without loading any stage.
"""
from __future__ import annotations

import os
from pathlib import Path

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
