"""Amendments: a later ruling deletes or corrects 問N of an earlier Q&A.

MHLW says so at the end of the newer answer, in many spellings::

    ※令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月 15 日）問 163 は削除する。
    ※令和3年度介護報酬改定に関するQ&A(Vol3)(令和3年3月26日)問50の修正
    ※平成30年度介護報酬改定に関するQ&A(Vol.1)(平成30年3月23日)問30、問31は削除する
    ※指定基準、介護報酬等に関するQ&A(平成18年2月)問48、平成18年4月改定関係Q&A(vol.1)(平成18年3月22日)問57は削除する

and the workbook's notice cell sometimes says the reverse of a ruling
(「平成27年介護報酬改定Q＆Avol.2問38により削除」: this one was deleted by that one).
:func:`amendments_in` reads the first kind, :func:`amended_by_in` the second. A
:class:`Target` names the earlier ruling by series, volume, date and 問 number, as
printed; the corpus resolves it to a ruling when it holds one with that number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import find_wareki
from .series import compact_nfkc, series_and_volume, series_id

DELETE, CORRECT = "削除", "修正"
_ACTION = re.compile(r"(?:は|を|について(?:は)?|の|で)?(?P<act>削除|一部修正|修正|改訂)")
_NUMBER = re.compile(r"問(?P<n>\d{1,4})(?!\d)")
_NUMBERS = re.compile(r"問\d{1,4}(?:(?:、|,|及び|と|・)問?\d{1,4})*")
_BY = re.compile(r"(?P<cite>[^。※]*?)問(?P<n>\d{1,4})(?:により|で)(?P<act>削除|一部修正|修正)")
_YEAR_MONTH = re.compile(r"(令和|平成)(元|\d{1,2})年(\d{1,2})月")


@dataclass(frozen=True)
class Target:
    """The earlier ruling an amendment names (as printed, NFKC)."""
    citation: str  # 令和6年度介護報酬改定に関するQ&A(Vol.1)(令和6年3月15日)
    number: int
    series_id: str = ""
    volume: int | None = None
    date: str = ""  # ISO, "" when the citation gives none (or only a month)

    @property
    def label(self) -> str:
        return f"{self.citation}問{self.number}"


@dataclass(frozen=True)
class Amendment:
    action: str  # 削除 | 修正
    target: Target


def _target(citation: str, number: int) -> Target:
    cite = citation.strip("、,及びと「」 ").lstrip(")）")
    # 「なお、平成27年度…Q&A」: the series starts after the words that lead into it
    starts = [0] + [i + 1 for i, ch in enumerate(cite) if ch in "、,"]
    found = None
    for start in starts:
        if found := series_and_volume(cite[start:]):
            cite = cite[start:]
            break
    date = find_wareki(cite)
    return Target(citation=cite, number=number, series_id=series_id(found[0]) if found else "",
                  volume=found[1] if found else None, date=date.isoformat() if date else "")


def _names_a_document(citation: str) -> bool:
    return bool(re.search(r"Q&A|QA|疑義解釈|\d{1,2}年", citation))


def amendments_in(answer: str) -> tuple[Amendment, ...]:
    """The 削除/修正 statements of an answer, one per 問 number, in the order printed."""
    text = compact_nfkc(answer)
    out: list[Amendment] = []
    for sentence in re.split(r"[。※]", text):
        pos = 0
        for act in _ACTION.finditer(sentence):
            segment = sentence[pos:act.start()]
            pos = act.end()
            lists = list(_NUMBERS.finditer(segment))
            if not lists or lists[-1].end() != len(segment):
                continue  # the action word does not follow a 問 number (「修正した内容は…」)
            action = DELETE if act["act"] == "削除" else CORRECT
            cite_start = 0
            citation = ""
            for numbers in lists:
                own = segment[cite_start:numbers.start()].lstrip(")）」』、,及びと")
                citation = own or citation  # 「問30、問31」: the second shares the first's citation
                cite_start = numbers.end()
                if not _names_a_document(citation):
                    continue
                for n in _NUMBER.finditer(numbers.group(0)):
                    out.append(Amendment(action, _target(citation, int(n["n"]))))
                for extra in re.finditer(r"(?:、|,|及び|と|・)(\d{1,4})(?!\d)", numbers.group(0)):
                    out.append(Amendment(action, _target(citation, int(extra[1]))))
    return tuple(dict.fromkeys(out))


def amended_by_in(remark: str) -> tuple[Amendment, ...]:
    """「…問38により削除」 in a notice remark: the ruling that deleted or corrected this one."""
    return tuple(Amendment(DELETE if m["act"] == "削除" else CORRECT, _target(m["cite"], int(m["n"])))
                 for m in _BY.finditer(compact_nfkc(remark)))


def same_month(citation: str, date: str) -> bool:
    """A citation that gives only a month (「(平成18年2月)」) and a date in that month."""
    m = _YEAR_MONTH.search(citation)
    if not m or not date:
        return False
    base = {"令和": 2018, "平成": 1988}[m[1]]
    year = base + (1 if m[2] == "元" else int(m[2]))
    return date.startswith(f"{year:04d}-{int(m[3]):02d}-")
