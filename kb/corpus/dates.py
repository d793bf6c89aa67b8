"""Dates: stored ISO (2024-03-15), shown as 和暦 the way the sources print them."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_ABBR = {"R": "令和", "H": "平成", "S": "昭和", "令": "令和", "平": "平成", "昭": "昭和"}

_WAREKI = re.compile(
    r"(?P<era>令和|平成|昭和|令|平|昭|[RHS])\s*(?P<y>元|\d{1,2})\s*[年.\-/]\s*"
    r"(?P<m>\d{1,2})\s*[月.\-/]\s*(?P<d>\d{1,2})\s*日?"
)
_ISO = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?")


class DateError(ValueError):
    pass


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def parse_date(text: str) -> dt.date:
    """Parse an ISO date or a 和暦 date (令和6年3月15日, 令和６年３月 15 日, R6.3.15)."""
    s = _nfkc(str(text)).strip()
    m = _ISO.fullmatch(s)
    if m:
        y = int(m["y"])
    else:
        m = _WAREKI.fullmatch(s)
        if not m:
            raise DateError(f"not a date: {text!r} (use 2024-03-15 or 令和6年3月15日)")
        era = _ERA_ABBR.get(m["era"], m["era"])
        y = ERAS[era] + (1 if m["y"] == "元" else int(m["y"]))
    try:
        return dt.date(y, int(m["m"]), int(m["d"]))
    except ValueError as e:
        raise DateError(f"not a valid date: {text!r} ({e})") from None


def find_wareki(text: str) -> dt.date | None:
    """The first 和暦 date written out in full (令和N年M月D日) in ``text``."""
    s = re.sub(r"\s+", "", _nfkc(text))
    m = re.search(r"(令和|平成|昭和)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日", s)
    if not m:
        return None
    y = ERAS[m[1]] + (1 if m[2] == "元" else int(m[2]))
    try:
        return dt.date(y, int(m[3]), int(m[4]))
    except ValueError:
        return None


PRINTED_WAREKI = re.compile(r"(?:令和|平成|昭和)\s*(?:元|[0-9０-９]{1,2})\s*年\s*[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日")


def printed_wareki(text: str) -> str:
    """The first 和暦 date in ``text`` as printed (令和６年３月15日: full-width digits kept),
    PDF spaces inside it removed; "" when there is none."""
    m = PRINTED_WAREKI.search(text)
    return re.sub(r"\s+", "", m.group(0)) if m and find_wareki(m.group(0)) else ""


def wareki(date: dt.date | str | None) -> str:
    """令和6年3月15日 for 2024-03-15 (half-width digits, as in citations)."""
    if date is None or date == "":
        return ""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    for era, base in sorted(ERAS.items(), key=lambda kv: -kv[1]):
        start = {"令和": dt.date(2019, 5, 1), "平成": dt.date(1989, 1, 8), "昭和": dt.date(1926, 12, 25)}[era]
        if date >= start:
            n = date.year - base
            return f"{era}{'元' if n == 1 else n}年{date.month}月{date.day}日"
    return date.isoformat()


_SHORT = re.compile(r"(?P<y>元|\d{1,2})\s*[.．]\s*(?P<m>\d{1,2})\s*[.．]\s*(?P<d>\d{1,2})")


def short_wareki(text: str) -> dt.date | None:
    """The short dates of MHLW's Q&A workbook: ``6.3.15`` = 令和6年3月15日 (2024-03-15).

    Years 12–31 are 平成 (the workbook begins in 平成12年), 1–11 and 元 are 令和; full-width
    digits and ``．`` are accepted. None when ``text`` does not start with such a date."""
    m = _SHORT.match(_nfkc(text).strip())
    if not m:
        return None
    y = 1 if m["y"] == "元" else int(m["y"])
    year = (ERAS["平成"] if 12 <= y <= 31 else ERAS["令和"]) + y
    try:
        return dt.date(year, int(m["m"]), int(m["d"]))
    except ValueError:
        return None
