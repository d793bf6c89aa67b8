"""Sudachi analysis shared by the index, the query and the browser vocabulary.

:func:`tokenize` turns search text (see :mod:`kb.corpus.normalize`) into :class:`Tok` s:
mode C words plus their mode B/A parts, so that ``医療機関`` finds
``協力医療機関連携加算``. Particles, auxiliaries, pronouns, punctuation and blanks are dropped;
single-kanji content words stay. Terms use Sudachi's normalized form (NFKC,
lower-case); the surface is kept for display and highlighting.

:class:`SudachiTokenizer` wraps it for Whoosh. Whoosh pickles the schema, so the
class holds plain settings only; the native tokenizer is created lazily and cached
per thread and per user dictionary.
"""
from __future__ import annotations

import json
import threading
from sys import intern
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from whoosh.analysis import Token, Tokenizer

STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "代名詞"})  # 代名詞: いつ, これ, どこ …
# Sudachi refuses inputs over ~49 KB (in UTF-8 bytes); stay well below
CHUNK_BYTES = 30_000

_local = threading.local()
_user_dic: str | None = None  # set by configure(); the index stores its own copy
_reuse: dict[str, list["Tok"]] | None = None  # set by using(): a build's one analysis of its texts


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


def analyse(texts: Iterable[str], progress=None) -> dict[str, list[Tok]]:
    """The tokens of every distinct text, analysed once (for :func:`using`)."""
    distinct = list(dict.fromkeys(t for t in texts if t))
    out: dict[str, list[Tok]] = {}
    for n, text in enumerate(distinct, 1):
        out[text] = tokenize(text)
        if progress and (n % 1000 == 0 or n == len(distinct)):
            progress("analysis", n, len(distinct))
    return out


@contextmanager
def using(tokens: dict[str, list[Tok]]) -> Iterator[None]:
    """Within the block, :func:`tokenize` answers from ``tokens`` (made by :func:`analyse`
    with the configured dictionary) for the texts it holds: the Whoosh index and the
    browser index share one analysis of the build's units."""
    global _reuse
    before, _reuse = _reuse, tokens
    try:
        yield
    finally:
        _reuse = before


def tokenize(text: str, user_dic: str | None = ...) -> list[Tok]:  # type: ignore[assignment]
    """Tokens of ``text`` (search text): mode C words, each followed by its parts."""
    if user_dic is ... or user_dic == _user_dic:
        user_dic = _user_dic
        if _reuse is not None and (known := _reuse.get(text)) is not None:
            return known
    tok = _tokenizer(user_dic)
    memo = _memo(user_dic)
    mode_c = _mode_c()
    out: list[Tok] = []
    for off, chunk in _chunks(text):
        for m in tok.tokenize(chunk, mode_c):
            info = _word(m, user_dic, memo)
            if info is None:
                continue
            term, surface, length, parts = info
            b = off + m.begin()
            out.append(Tok(term, surface, b, b + length))
            for t, s, pb, pe in parts:
                out.append(Tok(t, s, b + pb, b + pe, True))
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
            parts = list(_system_parts(surface)) + list(_nested_user_words(surface, user_dic))
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


class SudachiTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`tokenize`; parts share their word's position."""

    def __init__(self, user_dic: str | None = None):
        self.user_dic = user_dic

    def __eq__(self, other):
        return isinstance(other, SudachiTokenizer) and other.user_dic == self.user_dic

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos - 1
        for tk in _tokenize_for(self.user_dic, value):
            if not tk.part:
                pos += 1
            t.text = tk.term
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = tk.surface
            if positions:
                t.pos = max(pos, start_pos)
            if chars:
                t.startchar, t.endchar = start_char + tk.start, start_char + tk.end
            yield t


def _tokenize_for(user_dic, value):
    return tokenize(value, user_dic if user_dic is not None else _user_dic)


def analyzer(user_dic: str | None = None):
    return SudachiTokenizer(user_dic)
