"""Display text vs search text.

The source text is kept untouched in the corpus. Two derived forms:

* display: as printed, line structure kept, with the converter's markup remnants
  (markdown ``**bold**`` and HTML ``<p>``/``<u>`` cells of seed 004) taken out;
* search: NFKC, dash/tilde variants folded, line breaks and PDF spaces inside
  Japanese words removed (``定 期的`` -> ``定期的``, ``地連 ＮＷ`` -> ``地連NW``).

All functions are pure; the same rules are shipped to the browser (site/search.js
mirrors :func:`search_text`), so change both together.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Dash variants -> ASCII hyphen. The prolonged sound mark ー (U+30FC) is a letter
# in katakana words and is deliberately left alone.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u2500\u2501\ufe63"
_TILDES = "\u301c\uff5e\u223c\u223e\u2053"
_FOLD = str.maketrans({**{c: "-" for c in _DASHES}, **{c: "~" for c in _TILDES}})
_FOLDED = re.compile(f"[{_DASHES}{_TILDES}]")  # most texts have none: translate only those that do

_TAG = re.compile(r"</?(?:p|u|b|i|br|span|div|td|tr|th|strong|em)\b[^>]*>", re.I)
_BOLD = re.compile(r"\*\*")

# "Japanese" characters for the space-removal rule: kana, CJK ideographs,
# CJK symbols/punctuation and full-width forms.
_JA = (
    "\u3000-\u303f"  # CJK symbols and punctuation
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs
    "\uff01-\uff60"  # full-width ASCII forms and brackets
    "\u2460-\u24ff\u2160-\u217f"  # circled numbers, roman numerals
)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _space_ja() -> tuple[re.Pattern, re.Pattern]:
    """White space after / before a Japanese character: compiled when first needed (a few ms,
    which a query of words without spaces inside never spends)."""
    return (re.compile(rf"(?<=[{_JA}])\s+(?=[{_JA}A-Za-z0-9(（])"),
            re.compile(rf"(?<=[{_JA}A-Za-z0-9)）%])\s+(?=[{_JA}])"))


def strip_markup(text: str) -> str:
    """Remove markdown bold markers and HTML cell tags left by the converter."""
    return _BOLD.sub("", _TAG.sub(" ", text))


_PARA_END = re.compile(r"[。．！？：:」』）)】]$")
_ITEM_START = re.compile(r"^[\s　]*(?:[※①-⑳⑴-⒇・●○◯■◆★【「]|[（(][0-9０-９一-十ア-ン※]|問|答|[-*+]\s|[0-9０-９]+[．.]|[ア-ン][\s　])")


def display_text(text: str) -> str:
    """Text as printed, markup remnants removed, one printed line per line.

    PDF extraction puts a blank line between many printed lines; a blank line is
    kept only where a paragraph ends (the line before closes a sentence)."""
    lines = [strip_markup(line).rstrip() for line in text.splitlines()]
    out: list[str] = []
    pending_blank = False
    for line in lines:
        if not line.strip():
            pending_blank = bool(out)
            continue
        if pending_blank and out and (_PARA_END.search(out[-1]) or _ITEM_START.match(line)):
            out.append("")
        out.append(line)
        pending_blank = False
    return "\n".join(out)


def reflow(text: str) -> str:
    """Join lines broken inside a sentence; keep paragraph and list-item breaks."""
    out: list[str] = []
    for line in display_text(text).split("\n"):
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        if out and out[-1] and not _PARA_END.search(out[-1]) and not _ITEM_START.match(line):
            out[-1] = out[-1] + line.strip()
        else:
            out.append(line.strip())
    return "\n".join(out).strip()


def fold(text: str) -> str:
    """NFKC plus dash/tilde folding: the character-level part of :func:`search_text`."""
    if _FOLDED.search(text):
        text = text.translate(_FOLD)
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_FOLD) if _FOLDED.search(text) else text


def join_ja_spaces(text: str) -> str:
    """Remove whitespace (line breaks included) next to Japanese characters."""
    if not _SPACES.search(text):
        return text
    left, right = _space_ja()
    text = left.sub("", text)
    text = right.sub("", text)
    return _SPACES.sub(" ", text).strip()


def search_text(text: str) -> str:
    """The form that is tokenized and matched: one line, NFKC, PDF repairs applied."""
    return join_ja_spaces(fold(strip_markup(text)))


def query_text(text: str) -> str:
    """Search text of a typed query: the user's spaces separate words, so each piece is
    normalized on its own (``リハマネ ハ 要件`` must not become ``リハマネハ要件``)."""
    return " ".join(p for p in (search_text(piece) for piece in text.split()) if p)


def compact(text: str) -> str:
    """Search text with all white space removed (for substring checks)."""
    return _SPACES.sub("", search_text(text))


def key_form(s: str) -> str:
    """How thesaurus keys (and service and rule names) are compared: NFKC, lower-case, no white space."""
    return "".join(unicodedata.normalize("NFKC", s).lower().split())
