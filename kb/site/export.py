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
from dataclasses import dataclass, field

from ..corpus.qa import QA
from ..corpus.records import qa_dict
from ..rules.entries import amount_dict, amount_text, period_text
from . import paths
from .pages import SiteData, service_qas
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


def volume_exports(data: SiteData) -> list[Export]:
    """One export per numbered volume the corpus has."""
    out = []
    for (sid, vol) in data.corpus.volumes():
        qas = [q for q in data.corpus.qas if q.series_id == sid and q.volume == vol]
        out.append(Export("volume", qas[0].volume_title, paths.volume_stem(sid, vol), qas))
    return out


def volume_export(data: SiteData, series_id: str, volume: int) -> Export | None:
    return next((e for e in volume_exports(data) if e.qas[0].series_id == series_id and e.qas[0].volume == volume),
                None)


def service_export(data: SiteData, service, filed: bool = False) -> Export:
    """The service page's contents: its rulings and the rules that apply to it. With
    ``filed``, only the rulings filed under the service itself (the site's downloads:
    a ruling of 01 全サービス共通 is in 全サービス's file, not in forty services' files)."""
    rules = data.rules_for(service.name)
    qas = service_qas(data, service, rules)
    if filed:
        qas = [q for q in qas if service.name in data.filed_under(q)]
    return Export("service", service.name, paths.service_stem(service.id), qas, rules, service.name)


def file_path(e: Export, fmt: str) -> str:
    return paths.download(e.name, fmt)


def _rule_amounts(rule, service: str, data: SiteData) -> list:
    return [row.amount for row in dated_amounts(rule, service or None, data.services)]


def rows(e: Export, data: SiteData) -> list[dict]:
    out = []
    for q in e.qas:
        out.append({"種類": "Q&A", "引用": q.citation, "巻": q.volume if q.volume is not None else "",
                    "問番号": q.number if q.number is not None else "", "日付": q.date_shown,
                    "サービス区分": q.service, "項目": q.topic, "質問": q.question, "回答": q.answer,
                    "単位数": "", "ID": q.id})
    for r in e.rules:
        out.append({"種類": r.kind, "引用": r.name, "巻": "", "問番号": "", "日付": "", "サービス区分": e.service,
                    "項目": "", "質問": "", "回答": "\n".join(x.text for x in r.requirements),
                    "単位数": "\n".join(amount_text(a) for a in _rule_amounts(r, e.service, data)), "ID": r.id})
    return out


def to_csv(e: Export, data: SiteData) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows(e, data))
    return buf.getvalue()


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


def json_text(e: Export, data: SiteData) -> str:
    return json.dumps(to_json(e, data), ensure_ascii=False, indent=2) + "\n"


def all_exports(data: SiteData) -> list[Export]:
    """The site's downloads: every volume, and every service with what is filed under it."""
    services = [service_export(data, s, filed=True) for s in data.services.all()] if data.services is not None else []
    return volume_exports(data) + services
