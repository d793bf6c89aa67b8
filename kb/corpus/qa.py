"""Q&A records: a ruling belongs to its original volume, wherever it was quoted.

A Q&A clause found in a document becomes a :class:`QA` identified by series, volume
and question number (``r6-qa-vol1-q127``). The same ruling quoted by two documents
is one record with two ``quoted_in`` links. Unnumbered rulings (Vol.16's single
question; a ministry reply to a city's inquiry) get an id from a hash of their
question, which stays put when text around them changes.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace

from . import markers as mk
from .amendments import Amendment
from .clauses import Clause
from .dates import find_wareki, printed_wareki, wareki
from .documents import Document
from .normalize import compact, reflow, search_text, strip_markup
from .notices import Notice
from .series import series_id
from .workbooks import WorkbookRow


@dataclass(frozen=True)
class Quote:
    doc_id: str
    clause_id: str


@dataclass(frozen=True)
class QA:
    id: str
    series: str  # as printed: 令和６年度介護報酬改定に関するＱ＆Ａ, or the reply's title
    series_id: str  # r6-qa
    volume: int | None
    number: int | None
    date: str  # ISO date of the volume (or of the reply), "" if unknown
    service: str  # 【…】 heading, without brackets
    topic: str  # ○ …について
    question: str
    answer: str
    doc_id: str  # where the text was taken from (first occurrence)
    clause_id: str
    source_doc: str = ""  # the volume's own corpus entry, when the corpus has it
    quoted_in: tuple[Quote, ...] = field(default_factory=tuple)
    volume_printed: str = ""  # Vol.１ as the source prints it ("" -> Vol.1)
    date_printed: str = ""  # 令和６年３月15日 as the source prints it ("" -> from the ISO date)
    # from MHLW's workbook 介護サービスQ＆A集 (kb.corpus.workbooks), when a row carries this ruling
    standard: str = ""  # 基準種別: 人員 / 設備 / 運営 / 報酬 / その他
    rows: tuple[WorkbookRow, ...] = ()  # the rows, as printed (one per service it is listed under)
    notices: tuple[Notice, ...] = ()  # where it was issued (the first) and also sent out
    amends: tuple[Amendment, ...] = ()  # 問N of earlier Q&As this ruling deletes or corrects
    amended_by: tuple[Amendment, ...] = ()  # what the workbook says deleted or corrected this one
    aliases: tuple[str, ...] = ()  # other ids it answers to (a workbook id merged into 問N)

    @property
    def date_shown(self) -> str:
        """The date as the source prints it (令和６年３月15日), else as 和暦 of the ISO date."""
        return self.date_printed or (wareki(self.date) if self.date else "")

    @property
    def volume_title(self) -> str:
        """令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）; the series alone when unnumbered."""
        if self.volume is None:
            return self.series
        return f"{self.series}（{self.volume_printed or f'Vol.{self.volume}'}）"

    @property
    def reference(self) -> str:
        """What users type for it: Vol.1 問127 (Vol.16 for an unnumbered ruling)."""
        vol = f"Vol.{self.volume}" if self.volume is not None else ""
        num = f"問{self.number}" if self.number is not None else ""
        return " ".join(x for x in (vol, num) if x)

    @property
    def citation(self) -> str:
        """「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127, as the source
        prints title and date (officials cite it character for character); for a ruling known
        only from the workbook, the notice it was issued in as printed there."""
        if self.notices and not self.clause_id:
            return notice_citation(self.notices[0], self.number)
        date = f"（{self.date_shown}）" if self.date_shown else ""
        if self.volume is None:
            return f"「{self.series}」{date}"
        num = f"問{self.number}" if self.number is not None else ""
        return f"「{self.volume_title}{date}」{num}"

    @property
    def text(self) -> str:
        return f"問 {self.question}\n答 {self.answer}"

    @property
    def search(self) -> str:
        return search_text(self.question + "\n" + self.answer)


def notice_citation(notice: Notice, number: int | None = None) -> str:
    """「令和６年度介護報酬改定に関するＱ＆Ａ（ Vol. １）（令和６年３月15日）」 as the notice prints it,
    its date added when the name has none, 問N when the number is known."""
    name = notice.name
    dated = any(era in name for era in ("令和", "平成", "昭和")) and "日" in name
    when = "" if dated or not notice.date else f"（{notice.date_wareki}）"
    return f"「{name}」{when}" + (f"問{number}" if number is not None else "")


_SRC = re.compile(r"「?(?P<series>.+?に関するQ&A)\(Vol\.?(?P<vol>\d+)\)(?:\((?P<date>[^)]*)\))?")
_VOL_PRINTED = re.compile(r"[VvＶｖ][OoＯｏ][LlＬｌ]\s*[.．]?\s*[0-9０-９]+")


@dataclass(frozen=True)
class SourceLine:
    """A 「…（Vol.N）（令和…）」より line: the volume a quoted ruling belongs to."""
    series: str  # as printed
    volume: int
    date: str  # ISO, "" if not printed
    volume_printed: str  # Vol.１
    date_printed: str  # 令和６年３月15日


def printed_volume(text: str, volume: int) -> str:
    """``Vol.１`` as ``text`` prints volume ``volume`` (spaces removed); "" when it does not."""
    for m in _VOL_PRINTED.finditer(text):
        printed = re.sub(r"\s+", "", m.group(0))
        if int(re.sub(r"\D", "", unicodedata.normalize("NFKC", printed))) == volume:
            return printed
    return ""


def parse_source(line: str) -> SourceLine | None:
    """Series, volume and date of a 「…（Vol.N）（令和…）」より line, as printed and parsed."""
    c = re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))
    m = _SRC.search(c)
    if not m:
        return None
    d = find_wareki(m["date"] or "")
    # keep the printed (full-width) series title: take it from the original line
    raw = re.sub(r"[\s]+", "", line).lstrip("「").lstrip("（(")
    printed = raw[: raw.find("（Vol") if "（Vol" in raw else raw.find("(Vol")] if "Vol" in raw else m["series"]
    volume = int(m["vol"])
    return SourceLine(printed or m["series"], volume, d.isoformat() if d else "", printed_volume(line, volume),
                      printed_wareki(line) if d else "")


def split_qa(clause: Clause, text: str) -> tuple[str, str]:
    """(question, answer) display texts of a Q&A clause's source text, markers removed."""
    lines = text.splitlines(keepends=True)
    first = lines[0]
    m = mk._Q.match(first.lstrip(" \t\u3000"))
    q_lines = [first.lstrip(" \t\u3000")[m.end():] if m else first]
    a_lines: list[str] = []
    target = q_lines
    for line in lines[1:]:
        s = line.lstrip(" \t\u3000")
        if target is q_lines:
            am = mk._A.match(s)
            qm = mk._Q.match(s)
            if am:
                target = a_lines
                line = s[am.end():]
            elif qm and clause.number is not None and qm["n"] and mk._digits(qm["n"]) == clause.number:
                target = a_lines  # 002 labels the answer of 問127 as 問 127 again
                line = s[qm.end():]
        target.append(line)
    return reflow("".join(q_lines)), reflow("".join(a_lines))


def _ancestor(clause: Clause, by_id: dict[str, Clause], styles: tuple[str, ...]) -> Clause | None:
    for cid in reversed(clause.ancestors):
        c = by_id[cid]
        if c.style in styles:
            return c
    return None


def _preceding(clauses: list[Clause], i: int, styles: tuple[str, ...], floor: int) -> Clause | None:
    """The last clause of ``styles`` before clauses[i], not before position ``floor``."""
    for c in reversed(clauses[:i]):
        if c.start < floor:
            return None
        if c.style in styles:
            return c
    return None


def _clean_heading(title: str, chars: str) -> str:
    t = strip_markup(title).strip()
    return t.strip(chars).strip()


def _bracket_text(raw: str) -> str:
    """The text inside a 【…】 heading, rejoined across PDF line breaks."""
    body = strip_markup(raw)
    body = body[body.find("【") + 1:]
    body = body[: body.find("】")] if "】" in body else body
    return re.sub(r"\s*\n\s*", "", body).strip()


def extract(doc: Document, clauses: list[Clause]) -> list[QA]:
    """The Q&A records of one document (before merging quotes across documents)."""
    by_id = {c.id: c for c in clauses}
    out = []
    for i, c in enumerate(clauses):
        if c.kind != "qa":
            continue
        raw = doc.text[c.start:c.end]
        question, answer = split_qa(c, raw)
        src = _ancestor(c, by_id, ("qasrc",))
        parsed = parse_source(doc.text[src.start:src.end]) if src else None
        vol_printed, date_printed = "", doc.date_printed
        if parsed:
            series, volume, date = parsed.series, parsed.volume, parsed.date
            vol_printed, date_printed = parsed.volume_printed, parsed.date_printed
        elif src is None and doc.series and doc.volume is not None:
            series, volume, date = doc.series, doc.volume, doc.date
            vol_printed = printed_volume(doc.title, doc.volume)
        elif src is not None:
            series, volume, date = _clean_heading(src.title, ""), None, doc.date
        else:
            series, volume, date = doc.title, None, doc.date
        sid = series_id(series)
        h = hashlib.sha1(compact(question)[:120].encode()).hexdigest()[:6]
        if volume is not None:
            qid = f"{sid}-vol{volume}-" + (f"q{c.number}" if c.number is not None else f"x{h}")
        else:
            qid = f"{doc.id}-qa-" + (f"q{c.number}" if c.number is not None else f"x{h}")
        floor = src.start if src else 0
        service = _preceding(clauses, i, ("bracket",), floor)
        topic = _preceding(clauses, i, ("maru", "topic"), floor)
        own = doc.is_qa_volume and volume == doc.volume and series_id(doc.series) == sid
        out.append(QA(
            id=qid, series=series, series_id=sid, volume=volume, number=c.number, date=date,
            service=_bracket_text(doc.text[service.start:service.end]) if service else "",
            topic=_clean_heading(topic.title, "○◯〇 ") if topic else "",
            question=question, answer=answer, doc_id=doc.id, clause_id=c.id,
            source_doc=doc.id if own else "",
            quoted_in=() if own else (Quote(doc.id, c.id),),
            volume_printed=vol_printed, date_printed=date_printed if date else "",
        ))
    return out


def merge(qas: list[QA]) -> list[QA]:
    """One record per id; quotes from every document collected, the original volume preferred."""
    merged: dict[str, QA] = {}
    for qa in qas:
        prev = merged.get(qa.id)
        if prev is None:
            merged[qa.id] = qa
            continue
        quotes = tuple(dict.fromkeys(prev.quoted_in + qa.quoted_in))
        base = qa if (qa.source_doc and not prev.source_doc) else prev
        merged[qa.id] = replace(
            base, quoted_in=quotes, source_doc=prev.source_doc or qa.source_doc,
            date=base.date or prev.date or qa.date,
        )
    return sorted(_as_printed(qas, merged.values()), key=qa_sort_key)


def _fullwidth(s: str) -> int:
    return sum(1 for ch in s if "\uff01" <= ch <= "\uff5e")


def _as_printed(occurrences: list[QA], merged) -> list[QA]:
    """One printed volume label and one printed date per volume, for every ruling in it:
    the volume's own document's if the corpus has it, else the quote with the most
    full-width characters (MHLW's titles print single digits full width,
    （Vol.２）（令和６年３月19日）; a guide that retyped one as Vol.2 is the less faithful
    copy), the first on a tie. Label and date are chosen apart: a document may print one only."""
    best: dict[tuple[str, int, str], tuple] = {}
    widths: dict[str, int] = {}  # (a volume's rulings print the same label and date)
    for n, q in enumerate(occurrences):
        if q.volume is None:
            continue
        for name, value in (("volume_printed", q.volume_printed), ("date_printed", q.date_printed)):
            if not value:
                continue
            width = widths.get(value)
            if width is None:
                width = widths[value] = _fullwidth(value)
            rank = (bool(q.source_doc), width, -n)
            key = (q.series_id, q.volume, name)
            if key not in best or rank > best[key][0]:
                best[key] = (rank, value)
    out = []
    for q in merged:
        if q.volume is not None:
            vol = best.get((q.series_id, q.volume, "volume_printed"), (None, ""))[1]
            date = best.get((q.series_id, q.volume, "date_printed"), (None, ""))[1]
            if (vol, date if q.date else "") != (q.volume_printed, q.date_printed):
                q = replace(q, volume_printed=vol, date_printed=date if q.date else "")
        out.append(q)
    return out


def qa_sort_key(qa: QA) -> tuple:
    return (qa.series_id, qa.volume if qa.volume is not None else 10**6,
            qa.number if qa.number is not None else 10**6, qa.id)
