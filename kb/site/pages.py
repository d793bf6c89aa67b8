"""Which pages the site has, and what each page's template gets.

:class:`SiteData` gathers the look-ups the templates need (links, service
membership); :func:`pages` lists every page in a stable order.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from ..corpus.dates import wareki
from ..corpus.load import Corpus
from ..corpus.qa import QA, qa_sort_key
from . import paths, views


@dataclass(frozen=True)
class Page:
    path: str  # relative to the site root, '/'-separated
    template: str
    title: str
    crumbs: tuple[tuple[str, str], ...]  # (label, path or "") from home to this page
    context: dict = field(default_factory=dict, hash=False, compare=False)


HOME = ("ホーム", paths.INDEX)


@dataclass
class SiteData:
    corpus: Corpus
    rules: list
    services: object | None
    thesaurus: object | None
    links: object | None
    payload: dict
    qas_of_service: dict[str, list[QA]]
    made: dict = field(default_factory=dict, repr=False)  # what a page or download makes once per site (see once)

    @classmethod
    def collect(cls, corpus, units, *, rules=None, services=None, thesaurus=None, payload=None) -> "SiteData":
        links = None
        if rules:
            from ..rules.links import link_rules

            links = link_rules(corpus, rules)
        by_service: dict[str, list[QA]] = defaultdict(list)
        for u in units:
            if u.kind == "qa":
                for s in u.services:
                    by_service[s].append(corpus.qas_by_id[u.id])
        return cls(corpus, list(rules or []), services, thesaurus, links, payload or {}, dict(by_service))

    def once(self, key, make):
        """``make()``, computed the first time ``key`` is asked for (a ruling's record stands in its
        volume's download and in its services')."""
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    # ---- helpers the templates call
    def wareki(self, iso: str) -> str:
        return wareki(iso) if iso else ""

    def href(self, ident: str) -> str:
        """Page (and anchor) of a clause, Q&A, rule or service id; "" when unknown."""
        c = self.corpus
        if ident in c.qas_by_id:
            return paths.qa_path(ident)
        if ident in c.clauses_by_id:
            return paths.clause_href(c.clauses_by_id[ident].doc_id, ident)
        if any(r.id == ident for r in self.rules):
            return paths.rule_path(ident)
        return ""

    def label(self, ident: str) -> str:
        c = self.corpus
        if ident in c.qas_by_id:
            return c.qas_by_id[ident].citation
        if ident in c.clauses_by_id:
            cl = c.clauses_by_id[ident]
            doc = c.docs_by_id.get(cl.doc_id)
            return f"{doc.title if doc else cl.doc_id} {cl.label or cl.title}".strip()
        for r in self.rules:
            if r.id == ident:
                return r.name
        return ident

    def service_href(self, name: str) -> str:
        if self.services is None:
            return ""
        s = self.services.get(name)
        return paths.service_path(s.id) if s else ""

    def rules_of(self, ident: str) -> list:
        if self.links is None:
            return []
        by_id = {r.id: r for r in self.rules}
        return [by_id[r] for r in self.links.rules_of(ident) if r in by_id]

    def rules_for(self, service_name: str) -> list:
        """The rules that apply to a service (directly or through a group it belongs to)."""
        from ..rules.entries import applies_to

        return [r for r in self.rules if applies_to(r, service_name, self.services)]

    @cached_property
    def _services_of_qa(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for name, qas in self.qas_of_service.items():
            for q in qas:
                out.setdefault(q.id, set()).add(name)
        return out

    def filed_under(self, q: QA) -> set[str]:
        """The services (or groups) a ruling is filed under: the workbook's サービス種別 as
        printed (０１.全サービス共通 -> 全サービス), else the services its text names."""
        if q.rows and self.services is not None:
            return {n for r in q.rows for n in self.services.workbook_service(r.service).names}
        return set(self._services_of_qa.get(q.id, ()))

    def qas(self, ids: list[str]) -> list[QA]:
        return [self.corpus.qas_by_id[i] for i in ids if i in self.corpus.qas_by_id]

    @cached_property
    def _workbooks_by_ruling(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for w in self.corpus.workbooks:
            for r in w.rows:
                out.setdefault(r.id, set()).add(w.id)
        return out

    def workbooks_of(self, q: QA) -> list:
        """The stored workbooks a ruling's rows come from."""
        ids = set().union(*(self._workbooks_by_ruling.get(r.id, set()) for r in q.rows))
        return [w for w in self.corpus.workbooks if w.id in ids]


def _volume_crumbs(q: QA) -> tuple[tuple[str, str], ...]:
    label = f"{series_short(q)} Vol.{q.volume}".strip() if q.volume is not None else series_short(q) or "その他"
    return (HOME, ("Q&A 各巻", paths.VOLUMES), (label, paths.volume_anchor(q.series_id, q.volume)))


def series_short(q: QA) -> str:
    """A series in a few characters, for crumbs: 令和6年度, 平成24年度, 2019年度; else its title cut."""
    m = re.fullmatch(r"([rhy])(\d+)-qa", q.series_id)
    if m:
        return {"r": "令和", "h": "平成", "y": ""}[m[1]] + f"{int(m[2])}年度"
    return q.series if len(q.series) <= 24 else q.series[:23] + "…"


def pages(data: SiteData) -> list[Page]:
    c = data.corpus
    docs_latest = sorted(c.documents, key=lambda d: (d.date or "0000", d.id), reverse=True)
    vols = views.volumes(c)
    out = [
        Page(paths.INDEX, "home.html", "検索", (HOME,),
             {"volumes": vols, "latest": docs_latest, "categories": views.category_options(data.payload.get("cats", [])),
              "service_options": views.service_options(data.services),
              "standards": data.payload.get("standards", [])}),
        Page(paths.VOLUMES, "volumes.html", "Q&A 各巻", (HOME, ("Q&A 各巻", "")), {"volumes": vols}),
        Page(paths.GLOSSARY, "glossary.html", "用語集", (HOME, ("用語集", "")),
             {"entries": list(data.thesaurus.entries) if data.thesaurus else []}),
        Page("docs/index.html", "documents.html", "資料一覧", (HOME, ("資料一覧", "")), {"documents": docs_latest}),
    ]
    for d in c.documents:
        out.append(Page(paths.doc_path(d.id), "document.html", d.title,
                        (HOME, ("資料一覧", "docs/index.html"), (d.title, "")),
                        {"doc": d, "clauses": c.clauses_of(d.id)}))
    for q in c.qas:
        label = f"問{q.number}" if q.number is not None else q.topic or "問"
        out.append(Page(paths.qa_path(q.id), "qa.html", f"{q.volume_title} {label}",
                        _volume_crumbs(q) + ((label, ""),), {"qa": q}))
    if data.rules:
        out.append(Page(paths.RULES, "rules.html", "加算・基準", (HOME, ("加算・基準", "")), {}))
        for r in data.rules:
            out.append(Page(paths.rule_path(r.id), "rule.html", r.name,
                            (HOME, ("加算・基準", paths.RULES), (r.name, "")), {"rule": r}))
    if data.services is not None:
        out.append(Page(paths.SERVICES, "services.html", "サービス", (HOME, ("サービス", "")), {}))
        for s in data.services.all():
            rules = data.rules_for(s.name)
            out.append(Page(paths.service_path(s.id), "service.html", s.name,
                            (HOME, ("サービス", paths.SERVICES), (s.name, "")),
                            {"service": s, "qas": service_qas(data, s, rules), "rules": rules}))
    return out


def service_qas(data: "SiteData", service, rules) -> list[QA]:
    """The rulings about a service: those that name it or a group it belongs to, and
    those linked to a rule that applies to it (Vol.1 問127 never names 特養, but it is
    linked to 協力医療機関連携加算, which 特養 can claim)."""
    names = [service.name] if service.kind == "group" else [service.name, *data.services.groups_of(service.name)]
    found = {q.id: q for n in names for q in data.qas_of_service.get(n, [])}
    for r in rules:
        for qid in r.related:
            if qid in data.corpus.qas_by_id:
                found[qid] = data.corpus.qas_by_id[qid]
    return sorted(found.values(), key=qa_sort_key)
