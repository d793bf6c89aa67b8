"""What the templates show beyond the corpus objects themselves: the search filters with
the names people use, volume summaries (how many rulings the corpus holds, where they
were quoted, 新着), amounts and obligations as dated rows for the "as of a date" view,
and the build stamp (the date of the data, shown on the home page).
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from ..corpus.dates import wareki
from ..corpus.load import Corpus
from ..rules.entries import period_text
from ..search.present import CATEGORY_ORDER
from . import paths


# --------------------------------------------------------------------------- search filters


def category_options(categories) -> list[str]:
    """種類 as users name them, in the order they think of them (Q&A, 加算・基準, 通知 …)."""
    known = [c for c in CATEGORY_ORDER if c in categories]
    return known + sorted(set(categories) - set(known))


def service_label(s) -> str:
    """特養（介護老人福祉施設）: the name people use first, the official one after."""
    return f"{s.aliases[0]}（{s.name}）" if s.aliases else s.name


def service_options(services) -> list[dict]:
    """The サービス filter: services in the list's order (施設, 居住系, 短期入所, 通所, 訪問 …),
    then the group terms of the sources."""
    if services is None:
        return []
    every = services.all()
    return [{"value": s.name, "label": service_label(s), "group": s.kind == "group"}
            for s in [*(x for x in every if x.kind != "group"), *(x for x in every if x.kind == "group")]]


# --------------------------------------------------------------------------- volumes


def volumes(corpus: Corpus) -> list[dict]:
    """Each numbered volume with its date as printed, its rulings in the corpus and where
    they were quoted from; then the unnumbered rulings. The newest volume is 新着."""
    by_volume: dict[tuple[str, int | None], list] = {}
    for q in corpus.qas:
        by_volume.setdefault((q.series_id, q.volume), []).append(q)
    out = []
    for (sid, vol), (_series, date) in corpus.volumes().items():
        qas = by_volume[(sid, vol)]
        out.append(_volume(corpus, sid, vol, qas[0].volume_title, date, qas))
    dated = [v for v in out if v["date"]]
    if dated:
        newest = max(v["date"] for v in dated)
        for v in dated:
            v["new"] = v["date"] == newest
    # the newest series first (令和6年度, then 令和3年度 …), its volumes in order
    latest: dict[str, str] = {}
    for v in out:
        latest[v["series_id"]] = max(latest.get(v["series_id"], ""), v["date"] or "")
    out.sort(key=lambda v: (v["series_id"], v["volume"]))
    out.sort(key=lambda v: latest[v["series_id"]], reverse=True)  # stable: volumes stay in order
    unnumbered = [_volume(corpus, sid, None, qs[0].series, qs[0].date, qs)
                  for (sid, vol), qs in sorted(by_volume.items(), key=lambda kv: kv[0][0]) if vol is None]
    unnumbered.sort(key=lambda v: v["date"] or "", reverse=True)  # stable: series id within a date
    return out + unnumbered


def _volume(corpus: Corpus, sid: str, vol: int | None, title: str, date: str, qas: list) -> dict:
    return {"anchor": paths.volume_anchor(sid, vol).split("#")[1], "path": paths.volume_path(sid, vol),
            "title": title, "volume": vol, "series_id": sid, "date": date, "date_shown": qas[0].date_shown,
            "qas": qas, "quoted_from": _quoted_from(corpus, qas), "new": False}


def volume_summary(v: dict, count: int | None = None) -> dict:
    """A volume as a list shows it (the home page, volumes.html, a service page): all but its rulings."""
    return {**{k: x for k, x in v.items() if k != "qas"}, "count": len(v["qas"]) if count is None else count}


def _quoted_from(corpus: Corpus, qas) -> list[str]:
    """The kinds of document the rulings' text was taken from, when the corpus lacks the
    volume itself (Vol.1–7 come from a municipal guide's quotation)."""
    if any(q.source_doc for q in qas):
        return []
    kinds = {corpus.docs_by_id[x.doc_id].kind for q in qas for x in q.quoted_in if x.doc_id in corpus.docs_by_id}
    return sorted(kinds)


# --------------------------------------------------------------------------- as of a date


@dataclass(frozen=True)
class DatedRow:
    """An amount, with its period as data for page.js (ISO) and as text (和暦)."""
    amount: object
    start: str  # ISO, "" when the sources do not say
    until: str
    period: str  # （令和6年4月1日〜令和7年3月31日）, "" for none
    services: tuple[str, ...]


def dated_amounts(rule, service: str | None = None, services=None) -> list[DatedRow]:
    """The rule's amounts (for ``service`` only, when given), each with its period."""
    out = []
    for a in rule.amounts:
        names = rule.amount_services(a)
        if service and services is not None and not any(services.covers(s, service) for s in names):
            continue
        out.append(DatedRow(a, a.effective_from, a.effective_until,
                            period_text(a.effective_from, a.effective_until).strip("（）"), tuple(names)))
    return out


def obligations_for(rule, service: str | None = None, services=None) -> list:
    if not service or services is None:
        return list(rule.obligations)
    return [o for o in rule.obligations if any(services.covers(s, service) for s in o.services)]


# --------------------------------------------------------------------------- footer


@dataclass(frozen=True)
class Stamp:
    date: str  # ISO
    label: str  # what the footer says


def build_stamp(corpus: Corpus, environ=os.environ) -> Stamp:
    """The date the home page shows. The same corpus must give the same site, so it is not the
    clock: SOURCE_DATE_EPOCH when the builder sets it, else the newest date in the corpus."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        day = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()
        return Stamp(day, f"ビルド日 {wareki(day)}（SOURCE_DATE_EPOCH による）")
    dates = [d.date for d in corpus.documents if d.date] + [q.date for q in corpus.qas if q.date]
    if not dates:
        return Stamp("", "収録資料に日付がありません")
    day = max(dates)
    return Stamp(day, f"収録資料の最新の日付 {wareki(day)} 時点のデータ（同じ資料からは同じサイトができるよう、"
                      "ビルドした日時ではなくこの日付を示しています）")
