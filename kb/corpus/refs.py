"""References users type for a Q&A: `Vol.1 問127`, `ＱＡ ｖｏｌ３ 問３`, `vol16`, `問１２７`,
or a pasted title `令和６年度介護報酬改定に関するＱ＆Ａ（Vol.16）`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_VOL = re.compile(r"vol\.?\s*(\d{1,3})", re.I)
_NUM = re.compile(r"(?:問|q\.?|no\.?)\s*(\d{1,4})", re.I)
_SERIES = re.compile(r"令和(\d+)年度介護報酬改定に関するq&a", re.I)


@dataclass(frozen=True)
class Reference:
    series_id: str | None  # r6-qa when the title was given, else None (any series)
    volume: int | None
    number: int | None
    rest: str  # the query with the reference taken out

    @property
    def empty(self) -> bool:
        return self.volume is None and self.number is None


def _prep(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u3000", " ")


def parse_number(text: str | None) -> int | None:
    """'127', '問127', 'Vol.1', '１' -> int; None when there is no number."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(?:vol\.?|問|q\.?)?\s*(\d{1,4})\s*", _prep(text), re.I)
    return int(m[1]) if m else None


def parse_reference(query: str) -> Reference:
    s = _prep(query)
    series = None
    compact = re.sub(r"\s+", "", s)
    if m := _SERIES.search(compact):
        series = f"r{int(m[1])}-qa"
    vol = _VOL.search(s)
    num = _NUM.search(s)
    rest = s
    for m in (vol, num):
        if m:
            rest = rest.replace(m.group(0), " ")
    if series:
        rest = re.sub(r"令和\s*\d+\s*年度介護報酬改定に関する\s*q\s*&\s*a", " ", rest, flags=re.I)
    rest = re.sub(r"(?i)\b(?:q\s*&\s*a|qa)\b|[()（）「」]", " ", rest) if (vol or num) else rest
    return Reference(series, int(vol[1]) if vol else None, int(num[1]) if num else None,
                     re.sub(r"\s+", " ", rest).strip())
