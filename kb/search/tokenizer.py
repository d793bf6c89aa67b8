"""The Whoosh tokenizer of the index's text fields, over :func:`kb.search.analysis.tokenize`.

A module of its own, importing only Whoosh's analysis and ours: opening the index unpickles
the schema, which imports this class (``kaigo-kb search --service …`` opens the index; it
should not load the corpus stack with it).
"""
from __future__ import annotations

from whoosh.analysis import Token, Tokenizer

from . import analysis


class SudachiTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`kb.search.analysis.tokenize`; parts share their word's
    position. Whoosh pickles the schema, so it holds plain settings only."""

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
        for tk in analysis.tokenize(value, self.user_dic if self.user_dic is not None else ...):
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
