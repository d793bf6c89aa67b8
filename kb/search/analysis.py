"""Sudachi analysis shared by the index, the query and the browser vocabulary.

:func:`tokenize` turns search text (see :mod:`kb.corpus.normalize`) into :class:`Tok` s:
mode C words plus their mode B/A parts, so that ``医療機関`` finds
``協力医療機関連携加算``. Particles, auxiliaries, pronouns, punctuation and blanks are dropped;
single-kanji content words stay. Terms use Sudachi's normalized form (NFKC,
lower-case); the surface is kept for display and highlighting.

A text's tokens are its kept mode C words (:func:`words`), each followed by its parts: a
word and its parts depend only on the dictionary entry, so the build stores a text as
the list of its words (:mod:`kb.search.analysed`). The native tokenizer is created lazily
and cached per thread and per user dictionary; nothing here imports Whoosh or, until a
text is analysed, Sudachi (``kaigo-kb search`` starts without them).
"""
from __future__ import annotations

import json
import threading
from sys import intern
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "代名詞"})  # 代名詞: いつ, これ, どこ …
# Sudachi refuses inputs over ~49 KB (in UTF-8 bytes); stay well below
CHUNK_BYTES = 30_000

_local = threading.local()
_user_dic: str | None = None  # set by configure(); the index stores its own copy
_reuse = None  # set by using(): a build's one analysis of its texts (kb.search.analysed.Analysis)

# A kept mode C word: (term, surface, length, parts), each part (term, surface, start, end)
# relative to the word. Word = tuple[str, str, int, tuple[tuple[str, str, int, int], ...]]


@dataclass(frozen=True, slots=True)
class Tok:
    term: str
    surface: str
    start: int
    end: int
    part: bool = False


def configure(user_dic: str | None) -> None:
    """Use this Sudachi user dictionary (built by the build) from now on."""
    global _user_dic
    _user_dic = user_dic


@lru_cache(maxsize=8)
def _user_words(user_dic: str | None) -> frozenset[str]:
    """The words of a user dictionary (``user.words`` beside ``user.dic``)."""
    if not user_dic:
        return frozenset()
    from pathlib import Path

    path = Path(user_dic).with_suffix(".words")
    return frozenset(path.read_text(encoding="utf-8").split()) if path.exists() else frozenset()


@lru_cache(maxsize=8)
def _user_parts(user_dic: str | None) -> dict:
    """The system-dictionary parts of every user-dictionary word (``user.parts`` beside
    ``user.dic``, written with it by :func:`system_parts_of`): with them, analysing needs
    no second dictionary loaded (about 75 MB and 100 ms)."""
    if not user_dic:
        return {}
    import marshal
    from pathlib import Path

    path = Path(user_dic).with_suffix(".parts")
    return marshal.loads(path.read_bytes()) if path.exists() else {}


def system_parts_of(words: list[str]) -> dict[str, tuple]:
    """surface -> its parts from the system dictionary (see :func:`_system_parts`), for ``user.parts``."""
    return {w: _system_parts(w) for w in words}


@lru_cache(maxsize=4096)
def _nested_user_words(surface: str, user_dic: str | None) -> tuple[tuple[str, int, int], ...]:
    """User-dictionary words inside a longer one: リハビリテーションマネジメント in
    リハビリテーションマネジメント加算 (Sudachi keeps only the longest)."""
    words = _user_words(user_dic)
    out = []
    for i in range(len(surface)):
        for j in range(i + 2, len(surface) + 1):
            w = surface[i:j]
            if w != surface and w in words:
                out.append((fold_term(w), w, i, j))
    return tuple(out)


def _tokenizer(user_dic: str | None):
    cache = getattr(_local, "tokenizers", None)
    if cache is None:
        cache = _local.tokenizers = {}
    if user_dic not in cache:
        from sudachipy import Dictionary

        config = json.dumps({"userDict": [user_dic]}) if user_dic else None
        cache[user_dic] = Dictionary(config=config).tokenizer() if config else Dictionary().tokenizer()
    return cache[user_dic]


def fold_term(s: str) -> str:
    return unicodedata.normalize("NFKC", s).lower()


def _chunks(text: str):
    """(offset, chunk) pieces under CHUNK_BYTES, cut after a line break or 。 when possible."""
    if len(text.encode("utf-8")) <= CHUNK_BYTES:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = start
        size = 0
        cut = -1
        while end < len(text) and size < CHUNK_BYTES:
            ch = text[end]
            size += len(ch.encode("utf-8"))
            end += 1
            if ch in "\n。 ":
                cut = end
        if end < len(text) and cut > start:
            end = cut
        yield start, text[start:end]
        start = end


@lru_cache(maxsize=4096)
def _system_parts(surface: str) -> tuple[tuple[str, str, int, int], ...]:
    """The words (mode C, B and A) a user-dictionary compound is made of, from the
    system dictionary alone: 協力医療機関連携加算 -> 協力, 医療機関, 医療, 機関, …"""
    from sudachipy import SplitMode

    out = []
    for mode in (SplitMode.C, SplitMode.B, SplitMode.A):
        ms = _tokenizer(None).tokenize(surface, mode)
        if len(ms) > 1:
            for m in ms:
                if m.part_of_speech()[0] not in STOP_POS:
                    out.append((fold_term(m.normalized_form()), m.surface(), m.begin(), m.end()))
    return tuple(dict.fromkeys(out))


def _nominal(lemma: str, surface: str, start: int, end: int) -> list[tuple[str, str, int, int]]:
    """受け入れる -> 受け入れ: the noun a 一段 verb makes, so that a query for
    受け入れ (or 受入れ) finds 受け入れる and back."""
    stem = lemma[:-1]
    if lemma.endswith("る") and len(stem) >= 2 and "\u3041" <= stem[-1] <= "\u3096":
        return [(stem, surface, start, end)]
    return []


@contextmanager
def using(analysed) -> Iterator[None]:
    """Within the block, :func:`tokenize` answers from ``analysed`` (a
    :class:`kb.search.analysed.Analysis` made with the configured dictionary) for the
    texts it holds: the Whoosh index and the browser index share one analysis of the
    build's units."""
    global _reuse
    before, _reuse = _reuse, analysed
    try:
        yield
    finally:
        _reuse = before


def tokenize(text: str, user_dic: str | None = ...) -> list[Tok]:  # type: ignore[assignment]
    """Tokens of ``text`` (search text): mode C words, each followed by its parts."""
    if user_dic is ... or user_dic == _user_dic:
        user_dic = _user_dic
        if _reuse is not None and (known := _reuse.tokens(text)) is not None:
            return known
    return toks(words(text, user_dic))


def toks(found) -> list[Tok]:
    """The tokens of (offset, word) pairs as :func:`words` gives them."""
    out: list[Tok] = []
    for b, (term, surface, length, parts) in found:
        out.append(Tok(term, surface, b, b + length))
        for t, s, pb, pe in parts:
            out.append(Tok(t, s, b + pb, b + pe, True))
    return out


def words(text: str, user_dic: str | None) -> list[tuple[int, tuple]]:
    """(offset, word) of every mode C word of ``text`` that is indexed, in order (Sudachi)."""
    tok = _tokenizer(user_dic)
    memo = _memo(user_dic)
    mode_c = _mode_c()
    out = []
    for off, chunk in _chunks(text):
        for m in tok.tokenize(chunk, mode_c):
            info = _word(m, user_dic, memo)
            if info is not None:
                out.append((off + m.begin(), info))
    return out


@lru_cache(maxsize=1)
def _mode_c():
    from sudachipy import SplitMode

    return SplitMode.C


def _memo(user_dic: str | None) -> dict:
    memos = getattr(_local, "memos", None)
    if memos is None:
        memos = _local.memos = {}
    return memos.setdefault(user_dic, {})


def _word(m, user_dic: str | None, memo: dict):
    """(term, surface, length, parts) of a mode C morpheme, parts as (term, surface, start,
    end) relative to it; None for a word that is not indexed (particles, blanks …).

    What a dictionary entry splits into is fixed by the entry, so it is worked out once
    per entry and surface (splitting every occurrence again was most of a build's analysis
    time); unknown words (OOV) are not remembered."""
    surface = m.surface()
    key = None if m.is_oov() else (m.dictionary_id(), m.word_id(), surface)
    if key is not None and key in memo:
        return memo[key]
    pos = m.part_of_speech()[0]
    info = None
    if pos not in STOP_POS and surface.strip():
        term = fold_term(m.normalized_form())
        length = m.end() - m.begin()
        if m.dictionary_id() > 0:  # a user-dictionary compound
            known = _user_parts(user_dic).get(surface)
            parts = list(known if known is not None else _system_parts(surface))
            parts += list(_nested_user_words(surface, user_dic))
        else:
            from sudachipy import SplitMode

            begin = m.begin()
            parts = []
            for mode in (SplitMode.B, SplitMode.A):
                sub = m.split(mode)
                if len(sub) > 1:
                    parts.extend((fold_term(p.normalized_form()), p.surface(), p.begin() - begin, p.end() - begin)
                                 for p in sub if p.part_of_speech()[0] not in STOP_POS)
        if pos == "動詞":
            parts.extend(_nominal(term, surface, 0, length))
        seen = {term}
        kept = []
        for t, s, pb, pe in parts:
            if t not in seen:
                seen.add(t)
                kept.append((intern(t), intern(s), pb, pe))  # a build holds millions of tokens of few words
        info = (intern(term), intern(surface), length, tuple(kept))
    if key is not None:
        memo[key] = info
    return info
