"""Reading a query without loading Sudachi: the build's own analysis of the words it saw.

The build stores Sudachi's tokens of every word form its texts hold (whole words and their
parts), of the thesaurus's terms and targets and of the user dictionary's words, each read
alone (``vocab.marshal``: form -> its tokens). A query whose typed words (the words its spaces
separate, as the browser reads them) are all such forms is read from the file, a word at a
time; any other query (a sentence, a word the corpus lacks) is read by Sudachi as a whole, as
it always was, Sudachi being loaded then (about 150 ms). Both readings agree on the query
sets (tests/test_search.py); they could differ only where Sudachi reads a known word
differently next to the word before it.
"""
from __future__ import annotations

import marshal
from pathlib import Path

from . import analysis

FILE = "vocab.marshal"


def write_vocab(out_dir: Path, forms, analysed, known: dict | None = None) -> None:
    """``forms``: the word forms to store; ``analysed``: the build's analysis, which holds each
    of them as a text of its own (:class:`kb.search.analysed.Analysis`); ``known``: a table an
    earlier build wrote with the same analysis, whose entries are taken as they are."""
    table = {}
    known = known or {}
    for form in sorted(set(forms)):
        entry = known.get(form)
        if entry is None:
            toks = analysed.tokens(form)
            if toks is not None:
                entry = tuple((t.term, t.surface, t.start, t.end, t.part) for t in toks)
        if entry is not None:
            table[form] = entry
    (Path(out_dir) / FILE).write_bytes(marshal.dumps(table, 2))  # version 2: the same bytes for the same table


def read_vocab(index_dir: Path) -> dict:
    return marshal.loads((Path(index_dir) / FILE).read_bytes())


class Vocabulary:
    def __init__(self, index_dir: Path):
        self.table: dict[str, tuple] = read_vocab(index_dir)
        self.sudachi = 0  # queries read by Sudachi (a word the file does not hold): for tests and benchmarks

    def tokenize(self, text: str, user_dic: str | None) -> list[analysis.Tok]:
        """The tokens of a query's search text (:func:`kb.corpus.normalize.query_text`): read from
        the file when it holds every space-separated word, each word's tokens as Sudachi reads it
        alone, offsets into ``text``; else Sudachi's tokens of the whole text."""
        out: list[analysis.Tok] = []
        at = 0
        for word in text.split(" "):
            known = self.table.get(word)
            if known is None:  # a word the build never read alone: Sudachi reads the query, as it always did
                self.sudachi += 1
                return analysis.tokenize(text, user_dic)
            out += [analysis.Tok(term, surface, at + start, at + end, part) for term, surface, start, end, part in known]
            at += len(word) + 1
        return out
