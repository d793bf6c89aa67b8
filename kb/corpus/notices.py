"""The notice a ruling was issued in, read from the workbook's 「QA発出時期、文書番号等」 cell.

A cell reads like::

    6.3.15
    事務連絡
    介護保険最新情報Vol.1225
    「令和６年度介護報酬改定に関するＱ＆Ａ（ Vol. １）（令和６年３月15日）」の送付について

a short 和暦 date (``6.3.15``: 12–31 are 平成, 1–11 令和), the kind (事務連絡, 会議資料 …), the
bulletin it went out in (介護保険最新情報 / 介護制度改革information and its number), the title,
and sometimes a remark (「平成27年介護報酬改定Q＆Avol.2問38により削除」). A cell may name two
notices, each starting with its date: the first is where the ruling was issued.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from .dates import short_wareki, wareki
from .series import compact_nfkc, series_and_volume, series_id

_DATE_START = re.compile(r"(?m)^[ \t\u3000]*(?:元|[0-9０-９]{1,2})[ \t\u3000]*[.．][ \t\u3000]*[0-9０-９]{1,2}"
                         r"[ \t\u3000]*[.．][ \t\u3000]*[0-9０-９]{1,2}")
_BULLETIN = re.compile(r"(?P<name>介護保険最新情報|介護制度改革[ \t\u3000]*information)[ \t\u3000\n]*"
                       r"(?P<vol>[VvＶｖ][OoＯｏ][LlＬｌ])[ \t\u3000]*[.,．，]?[ \t\u3000]*(?P<no>[0-9０-９]+)", re.I)
_KINDS = (("事務連絡", "事務連絡"), ("会議資料", "会議資料"))
_REMARK = re.compile(r"^※|(?:により|に伴い|で)(?:削除|修正)")


@dataclass(frozen=True)
class Notice:
    printed: str  # this notice's part of the cell, as printed
    date: str  # ISO, "" when the cell has none
    date_printed: str  # 6.3.15, as printed
    kind: str  # 事務連絡 / 会議資料 / ""
    bulletin: str  # 介護保険最新情報Vol.1225 (white space runs as one space), "" when none
    bulletin_no: int | None
    title: str  # as printed, lines joined
    series: str  # 令和６年度介護報酬改定に関するＱ＆Ａ, as printed; "" when the title names no series
    volume: int | None
    remark: str = ""  # 「…により削除」 and the like, as printed

    @property
    def series_id(self) -> str:
        return series_id(self.series) if self.series else ""

    @property
    def id(self) -> str:
        """``r6-qa-vol1``; ``h27-qa-2015-04-01`` for a series without volumes; else a digest."""
        if self.series and self.volume is not None:
            return f"{self.series_id}-vol{self.volume}"
        if self.series and self.date:
            return f"{self.series_id}-{self.date}"
        digest = hashlib.sha1(compact_nfkc(self.title or self.bulletin or self.printed).encode()).hexdigest()[:6]
        return f"notice-{self.date}-{digest}" if self.date else f"notice-{digest}"

    @property
    def date_wareki(self) -> str:
        return wareki(self.date) if self.date else ""

    @property
    def name(self) -> str:
        """What to call it in a citation: the title without its quotation marks and
        「…の送付について」, or the bulletin when there is no title."""
        title = self.title
        quoted = re.search(r"「(.+)」", title)
        if quoted:
            return quoted.group(1).strip()
        return title or self.bulletin


def parse_notices(cell: str) -> list[Notice]:
    """The notices a 発出時期・文書番号 cell names, in the order printed (at least one when the
    cell has any text)."""
    if not cell.strip():
        return []
    starts = [m.start() for m in _DATE_START.finditer(cell)] or [0]
    if starts[0] != 0 and cell[:starts[0]].strip():
        starts.insert(0, 0)
    parts = [cell[a:b] for a, b in zip(starts, starts[1:] + [len(cell)])]
    return [_notice(p) for p in parts if p.strip()]


def _notice(printed: str) -> Notice:
    text = printed.strip()
    date = short_wareki(text)
    date_printed = ""
    if date is not None:
        m = _DATE_START.match(text)
        date_printed = "".join(m.group(0).split())
        text = text[m.end():]
    bulletin, bulletin_no = "", None
    if m := _BULLETIN.search(text):
        bulletin = " ".join(m.group(0).split())
        bulletin_no = int(unicodedata.normalize("NFKC", m["no"]))
        text = text[:m.start()] + "\n" + text[m.end():]
    kind = next((k for word, k in _KINDS if word in text), "")
    text = text.replace("事務連絡", "\n") if kind == "事務連絡" else text
    lines = [ln.strip(" \t\u3000") for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    title_lines = [ln for ln in lines if not _REMARK.search(ln)]
    remark = "\n".join(ln for ln in lines if _REMARK.search(ln))
    title = "".join(title_lines)
    found = series_and_volume(title) if title else None
    return Notice(
        printed=printed, date=date.isoformat() if date else "", date_printed=date_printed, kind=kind,
        bulletin=bulletin, bulletin_no=bulletin_no, title=title,
        series=found[0] if found else "", volume=found[1] if found else None, remark=remark,
    )
