"""Downloads: the rulings (and the 加算・基準) of one Q&A volume or one service, as CSV or JSON.

``kaigo-kb export --vol 1`` / ``--service 特養`` and the download links of the site (the
volume list, every service page) give the same files. The CSV opens in Excel (UTF-8 with a
byte order mark when written to a file, one row per Q&A or rule, Japanese headers); the
JSON follows the CLI's convention (``kind`` first, README *JSON output*).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace

from ..corpus.qa import QA
from ..corpus.records import qa_dict
from ..rules.entries import amount_dict, amount_text, period_text
from . import paths
from .pages import SiteData
from .views import dated_amounts

COLUMNS = ("種類", "引用", "巻", "問番号", "日付", "サービス区分", "項目", "質問", "回答", "単位数", "ID")


@dataclass
class Export:
    scope: str  # "volume" | "service"
    title: str  # 令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１） / 介護老人福祉施設
    name: str  # file name without extension (paths.volume_stem, paths.service_stem)
    qas: list[QA]
    rules: list = field(default_factory=list)
    service: str = ""  # the official name, for a service's amounts
    formats: tuple[str, ...] = ("csv", "json")  # the files the site offers


def volume_exports(data: SiteData) -> list[Export]:
    """One export per numbered volume the corpus has."""
    of_volume: dict[tuple, list[QA]] = {}
    for q in data.corpus.qas:
        of_volume.setdefault((q.series_id, q.volume), []).append(q)
    return [Export("volume", of_volume[v][0].volume_title, paths.volume_stem(*v), of_volume[v])
            for v in data.corpus.volumes()]


def volume_export(data: SiteData, series_id: str, volume: int) -> Export | None:
    return next((e for e in volume_exports(data) if e.qas[0].series_id == series_id and e.qas[0].volume == volume),
                None)


def service_export(data: SiteData, service, filed: bool = False) -> Export:
    """The service page's contents: its rulings and the rules that apply to it. With
    ``filed``, only the rulings filed under the service itself (the site's downloads:
    a ruling of 01 全サービス共通 is in 全サービス's file, not in forty services' files)."""
    rules, qas = data.service_rulings(service)
    if filed:
        filed = data.once("filed", lambda: _filed(data)).get(service.name, frozenset())
        qas = [q for q in qas if q.id in filed]
    return Export("service", service.name, paths.service_stem(service.id), qas, rules, service.name)


def _filed(data: SiteData) -> dict[str, set[str]]:
    """Service name -> the ids of the rulings filed under it (:meth:`SiteData.filed_under`)."""
    out: dict[str, set[str]] = {}
    for q in data.corpus.qas:
        for name in data.filed_under(q):
            out.setdefault(name, set()).add(q.id)
    return out


def file_path(e: Export, fmt: str) -> str:
    return paths.download(e.name, fmt)


def _rule_amounts(rule, service: str, data: SiteData) -> list:
    return [row.amount for row in dated_amounts(rule, service or None, data.services)]


def _qa_row(q: QA) -> dict:
    return {"種類": "Q&A", "引用": q.citation, "巻": q.volume if q.volume is not None else "",
            "問番号": q.number if q.number is not None else "", "日付": q.date_shown,
            "サービス区分": q.service, "項目": q.topic, "質問": q.question, "回答": q.answer,
            "単位数": "", "ID": q.id}


def rule_rows(e: Export, data: SiteData) -> list[dict]:
    """The 加算・基準 rows of a service's CSV (after its rulings)."""
    return [{"種類": r.kind, "引用": r.name, "巻": "", "問番号": "", "日付": "", "サービス区分": e.service,
             "項目": "", "質問": "", "回答": "\n".join(x.text for x in r.requirements),
             "単位数": "\n".join(amount_text(a) for a in _rule_amounts(r, e.service, data)), "ID": r.id}
            for r in e.rules]


def rows(e: Export, data: SiteData) -> list[dict]:
    return [_qa_row(q) for q in e.qas] + rule_rows(e, data)


def csv_lines(rows: list[dict], header: bool = False) -> str:
    """Rows as CSV lines (Excel's dialect, CRLF), after the header line when asked."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    if header:
        w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def qa_csv(q: QA) -> str:
    """A ruling's CSV line: the same in its volume's file and in its services'."""
    return csv_lines([_qa_row(q)])


def qa_json(record: dict) -> str:
    """A ruling's record (:func:`~kb.corpus.records.qa_dict`) as an item of a file's ``qas``
    list (indented 4 spaces, no separator)."""
    return "\n".join("    " + line for line in json.dumps(record, ensure_ascii=False, indent=2).split("\n"))


def to_csv(e: Export, data: SiteData) -> str:
    return csv_lines(rows(e, data), header=True)


def to_json(e: Export, data: SiteData) -> dict:
    def amount(r, a) -> dict:
        return {**amount_dict(r, a), "period": period_text(a.effective_from, a.effective_until)}

    return {
        "kind": "export", "scope": e.scope, "title": e.title, "service": e.service,
        "qas": [qa_dict(q, data.corpus) for q in e.qas],
        "rules": [{"id": r.id, "name": r.name, "rule_kind": r.kind, "services": list(r.services),
                   "amounts": [amount(r, a) for a in _rule_amounts(r, e.service, data)],
                   "requirements": [x.text for x in r.requirements]} for r in e.rules],
    }


_QAS = "\x00qas\x00"  # stands for the list of rulings while the rest is encoded


@dataclass(frozen=True)
class Frame:
    """What a file holds around its rulings: ``csv_head`` + a CSV line per ruling + ``csv_tail``;
    ``json_head`` + the list of the rulings' items + ``json_tail``."""
    csv_head: str
    csv_tail: str
    json_head: str
    json_tail: str


def frame(e: Export, data: SiteData) -> Frame:
    top = {**to_json(Export(e.scope, e.title, e.name, [], e.rules, e.service), data), "qas": _QAS}
    head, tail = json.dumps(top, ensure_ascii=False, indent=2).split(json.dumps(_QAS), 1)
    return Frame(csv_lines([], header=True), csv_lines(rule_rows(e, data)), head, tail + "\n")


def json_text(e: Export, data: SiteData) -> str:
    """``json.dumps(to_json(e, data), ensure_ascii=False, indent=2)`` and a line break: the same
    text, a fraction of the time (the frame apart, each ruling encoded alone)."""
    f = frame(e, data)
    items = ("[\n" + ",\n".join(qa_json(qa_dict(q, data.corpus)) for q in e.qas) + "\n  ]") if e.qas else "[]"
    return f.json_head + items + f.json_tail


def all_exports(data: SiteData) -> list[Export]:
    """The site's downloads: every volume as CSV and JSON, and every service's filed rulings as CSV.

    A service's file is for Excel (a care manager's own service); as JSON it would repeat every
    ruling once per service it names (230 of 372 MB at 10,000 synthetic Q&As, rewritten whenever
    a volume comes in). JSON readers have every ruling once in the volumes' files, and
    ``kaigo-kb export --service S --format json``."""
    services = [replace(service_export(data, s, filed=True), formats=("csv",))
                for s in data.services.all()] if data.services is not None else []
    return volume_exports(data) + services
