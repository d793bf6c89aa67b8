"""How a hit is shown: its badge (category), headline, and where its text is cut.

The CLI's human output and the site's result list (``site_templates/static/results.js``
mirrors :func:`shorten` and :func:`window`, ``static/page.js`` :func:`ranges`) show a hit
alike, the searched words marked the same way:

    [Q&A] Vol.1 問127  令和６年３月15日  協力医療機関連携加算について
    協力医療機関連携加算について、入所者の病歴等の情報を共有する会議に出席するのは…
    答 職種は問わないが、入所者の病歴その他健康に関する情報を…

Text is cut where a reader would pause (after 。、）」 or a space), never inside a word.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..corpus.normalize import fold, join_ja_spaces

QA_CATEGORY = "Q&A"
RULE_CATEGORY = "加算・基準"
# 種類 as users name them: the rulings, the rule entries, then the documents' kinds
CATEGORY_ORDER = (QA_CATEGORY, RULE_CATEGORY, "告示", "通知", "事務連絡", "Q&A資料", "改定概要", "説明資料",
                  "自治体資料", "団体通知", "法令")

HEADLINE_CHARS = 70
ANSWER_CHARS = 200
_BREAK_AFTER = "。、，,．）)」』】！？!?；;：: \n"


def clause_category(doc_kind: str) -> str:
    """A document's own text (not its Q&As) is badged by the document's kind; the cover
    text of a Q&A volume is not itself a ruling."""
    return "Q&A資料" if doc_kind == QA_CATEGORY else doc_kind


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut after the last pause before ``limit`` characters (…)."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = max(flat.rfind(ch, 0, limit) for ch in _BREAK_AFTER)
    end = cut + 1 if cut >= limit // 2 else limit
    return flat[:end].rstrip() + "…"


def window(text: str, first: int | None, width: int) -> tuple[int, int]:
    """(start, end) of a snippet of ``text`` showing the match at ``first`` (None: the
    beginning): from the beginning when the match shows there, else from the start of
    its sentence when that is near, to a pause."""
    if first is None or first < 0 or first + 20 <= width * 0.7:
        start = 0
    else:
        start = max(0, first - 40)
        sentence = max(text.rfind("。", 0, first), text.rfind("\n", 0, first))
        if sentence >= 0 and first - sentence <= 60:
            start = sentence + 1
        elif start > 0:
            pause = max(text.rfind(ch, 0, start + 20) for ch in "、，, ")
            start = pause + 1 if pause >= start - 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        cut = max(text.rfind(ch, start, end) for ch in _BREAK_AFTER)
        if cut >= start + width // 2 and (first is None or cut >= first):
            end = cut + 1
    return start, end


def qa_headline(question: str) -> str:
    """A ruling's title in a list: its question, up to the first pause past the limit."""
    return shorten(question, HEADLINE_CHARS)


def shown_text(kind: str, data: dict) -> str:
    """The text a hit's snippet is taken from, as printed, PDF line breaks joined: a
    ruling's answer (its question is the headline); a rule's facts after its name, one
    after another; a clause's text."""
    if kind == "qa" and "answer" in data:
        return join_ja_spaces(data["answer"])
    if kind == "rule":  # the amounts in force on the day asked first (kb.search.searcher._in_force)
        lines = [data.get("in_force_text", ""), *data.get("text", "").splitlines()[1:]]
        return "／".join(line.strip() for line in lines if line.strip())
    return join_ja_spaces(data.get("text", ""))


def needles(surfaces: list[str], terms: list[str]) -> list[str]:
    """What a hit's text is marked with (static/search.js ``needles``): the words as typed,
    then every term the query searched; no short kana-only words (で, が …), no repeats."""
    out: list[str] = []
    for x in [*surfaces, *terms]:
        if x and not (len(x) < 3 and all(_kana_or_mark(ch) for ch in x)) and x not in out:
            out.append(x)
    return out


def _kana_or_mark(ch: str) -> bool:
    return "\u3040" <= ch <= "\u309f" or ch == "ー" or ch.isspace() or unicodedata.category(ch)[0] in "PS"


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return fold(ch).lower()


def ranges(text: str, marks: list[str]) -> list[tuple[int, int]]:
    """[start, end) ranges of ``text`` (as printed) that match any of ``marks`` (search form),
    merged, in order: each printed character folded alone (NFKC, lower case, white space
    left out) and mapped back, so a match marks the original (static/page.js ``ranges``)."""
    chars, at = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            f = _fold_char(ch)
            chars.append(f)
            at.extend([i] * len(f))
    folded = "".join(chars)
    found: list[tuple[int, int]] = []
    for mark in marks:
        mark = "".join(mark.split())
        if not mark:
            continue
        p = folded.find(mark)
        while p >= 0 and len(found) < 300:
            found.append((at[p], at[p + len(mark) - 1] + 1))
            p = folded.find(mark, p + len(mark))
    found.sort(key=lambda r: (r[0], -r[1]))
    out: list[tuple[int, int]] = []
    for a, b in found:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
