"""Which pages the site has, and what each page's template gets.

:class:`SiteData` gathers the look-ups the templates need (links, service
membership); :func:`pages` lists every page in a stable order.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import astuple, dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from ..corpus.dates import wareki
from ..corpus.load import Corpus
from ..corpus.qa import QA, qa_sort_key
from . import paths, views


@dataclass(slots=True)  # not frozen: a site at scale lists 15,000 pages, and frozen ones take longer to make
class Page:
    path: str  # relative to the site root, '/'-separated
    template: str
    title: str
    crumbs: tuple[tuple[str, str], ...]  # (label, path or "") from home to this page
    context: dict = field(default_factory=dict, compare=False)


HOME = ("ホーム", paths.INDEX)


class ClauseView(NamedTuple):
    """What a document's page shows of a clause (its key digests no more than this)."""
    id: str
    kind: str
    depth: int
    display: str


class Clauses(list):
    """A document's :class:`ClauseView` list, with ``key``: the digest of the document they were read
    from (:meth:`kb.corpus.memo.Memo.document_key`), which stands for them in the page's key
    (:mod:`kb.site.reuse`): a document's clauses are its text as the code reads it."""

    def __init__(self, views, key: str):
        super().__init__(views)
        self.key = key


# What SiteData answers a page with: plain values in named tuples (strings, None, tuples of
# them), so an answer is its own record of what the page was made from (kb.site.reuse).
class RuleRef(NamedTuple):
    id: str
    name: str


class LinkView(NamedTuple):
    """An amendment (kb.corpus.rulings.Link): a newer ruling deletes or corrects an older one."""
    action: str  # 削除 | 修正
    newer: str | None  # ruling id
    older: str | None
    newer_label: str  # as cited, when ``newer`` is None
    older_label: str


class Ruling(NamedTuple):
    """A ruling's relations, as its page shows them (:meth:`SiteData.ruling`)."""
    status: str  # 削除 / 修正, or ""
    amended_by: tuple[LinkView, ...]  # what deleted or corrected it
    amendments: tuple[LinkView, ...]  # what it deletes or corrects
    same_question: tuple[str, ...]  # the rulings on the same question, newest first (() when asked once)
    workbook_sheets: tuple[str, ...]  # the sheet (else title) of each stored workbook its rows come from
    rules: tuple[RuleRef, ...]  # the rules it names


class ClauseLinks(NamedTuple):
    """What a clause of a document's page links to: its ruling (id, citation) and the rules it names."""
    qa: tuple[str, str] | None
    rules: tuple[RuleRef, ...]


@dataclass
class SiteData:
    corpus: Corpus
    rules: list
    services: object | None
    thesaurus: object | None
    links: object | None
    payload: dict
    qas_of_service: dict[str, list[QA]]
    services_of: dict[str, set[str]] = field(default_factory=dict, repr=False)  # ruling id -> its services (the inverse)
    made: dict = field(default_factory=dict, repr=False)  # what a page or download makes once per site (see once)

    @classmethod
    def collect(cls, corpus, rulings: list[tuple[str, list[str]]], *, rules=None, services=None, thesaurus=None,
                payload=None, link_cache: dict | None = None, links=None) -> "SiteData":
        """``rulings``: each ruling's id and services, in unit order (:class:`kb.search.units.Facets`);
        ``link_cache``: kept between builds for :func:`kb.rules.links.link_rules`; ``links``: its
        result, when the caller has it (:meth:`rule_links`)."""
        if links is None:
            links = cls.rule_links(corpus, rules, link_cache)
        by_service: dict[str, list[QA]] = defaultdict(list)
        services_of: dict[str, set[str]] = {}
        for ident, named in rulings:
            if named:
                services_of.setdefault(ident, set()).update(named)
            for s in named:
                by_service[s].append(corpus.qas_by_id[ident])
        return cls(corpus, list(rules or []), services, thesaurus, links, payload or {}, dict(by_service),
                   services_of)

    @staticmethod
    def rule_links(corpus, rules, link_cache: dict | None = None):
        """What links the rules and the corpus (:func:`kb.rules.links.link_rules`); None without rules."""
        if not rules:
            return None
        from ..rules.links import link_rules

        return link_rules(corpus, rules, link_cache)

    def once(self, key, make):
        """``make()``, computed the first time ``key`` is asked for (a ruling's record stands in its
        volume's download and in its services')."""
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    # ---- what the templates ask (through kb.site.reuse.Recorder: ids in, plain values out, each
    # answer recorded, so a page is reused only while every answer it was made from is unchanged)
    def has_rules(self) -> bool:
        return bool(self.rules)

    def has_services(self) -> bool:
        return self.services is not None

    def wareki(self, iso: str) -> str:
        return wareki(iso) if iso else ""

    def href(self, ident: str) -> str:
        """Page (and anchor) of a clause, Q&A, rule or service id; "" when unknown."""
        c = self.corpus
        if ident in c.qas_by_id:
            return paths.qa_path(ident)
        if ident in c.clauses_by_id:
            return paths.clause_href(c.clauses_by_id[ident].doc_id, ident)
        if ident in self._rules_by_id:
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
        if ident in self._rules_by_id:
            return self._rules_by_id[ident].name
        return ident

    def service_href(self, name: str) -> str:
        if self.services is None:
            return ""
        s = self.services.get(name)
        return paths.service_path(s.id) if s else ""

    def document(self, doc_id: str):
        """The document's metadata, its text left out (None when the corpus lacks it): a ruling's
        page names where it was quoted, and stays the same when other rulings there are edited."""
        doc = self.corpus.docs_by_id.get(doc_id)
        return replace(doc, text="") if doc else None

    def ruling(self, qa_id: str) -> Ruling:
        """What a ruling's page shows of its relations (one question: a page asks it once)."""
        c = self.corpus
        q = c.qas_by_id.get(qa_id)
        return Ruling(c.statuses.get(qa_id, ""), tuple(LinkView(*astuple(x)) for x in c.links_to(qa_id)),
                      tuple(LinkView(*astuple(x)) for x in c.links_from(qa_id)), tuple(c.repeats.get(qa_id, ())),
                      tuple(w.sheet or w.title for w in self.workbooks_of(q)) if q else (),
                      self._rule_refs.get(qa_id, ()))

    def clause_links(self, doc_id: str) -> tuple[ClauseLinks, ...]:
        """What each clause of a document links to, in the document's order."""
        by_clause, refs = self.corpus.qa_by_clause, self._rule_refs
        out = []
        for cl in self._clauses_of.get(doc_id, ()):
            qa = by_clause.get(cl.id) if cl.kind == "qa" else None
            out.append(ClauseLinks((qa.id, qa.citation) if qa else None, refs.get(cl.id, ())))
        return tuple(out)

    @cached_property
    def _rule_refs(self) -> dict[str, tuple[RuleRef, ...]]:
        """clause or ruling id -> the rules it names."""
        if self.links is None:
            return {}
        refs = {r.id: RuleRef(r.id, r.name) for r in self.rules}
        return {i: tuple(refs[r] for r in ids if r in refs) for i, ids in self.links.rules.items()}

    def rule_qas(self, rule_id: str) -> list[QA]:
        """The rulings linked to a rule."""
        return self.qas(self.links.qas_of(rule_id)) if self.links else []

    def rule_clauses(self, rule_id: str) -> list[tuple[str, str, str]]:
        """The clauses that name a rule, (id, href, label) each, but for the text of a ruling listed
        as linked to the rule (its page is listed there)."""
        if self.links is None:
            return []
        linked, by_clause = set(self.links.qas_of(rule_id)), self.corpus.qa_by_clause
        return [(i, self.href(i), self.label(i)) for i in self.links.clauses_of(rule_id)
                if not (i in by_clause and by_clause[i].id in linked)]

    @cached_property
    def _clauses_of(self) -> dict[str, list]:
        out: dict[str, list] = {}
        for cl in self.corpus.clauses:
            out.setdefault(cl.doc_id, []).append(cl)
        return out

    @cached_property
    def qa_rank(self) -> dict[str, int]:
        """A ruling's place (by id) in :func:`~kb.corpus.qa.qa_sort_key` order (sorting by it is
        sorting by that key: the key ends with the id)."""
        return {q.id: n for n, q in enumerate(sorted(self.corpus.qas, key=qa_sort_key))}

    @cached_property
    def _rules_by_id(self) -> dict:
        return {r.id: r for r in self.rules}

    def service_rulings(self, service) -> tuple[list, list[QA]]:
        """(the rules that apply to a service, its rulings (:func:`service_qas`)), made once per
        site: its pages and its download show them (the download made in a child forked after the
        pages were listed, so it inherits them)."""
        def make():
            rules = self.rules_for(service.name)
            return rules, service_qas(self, service, rules)

        return self.once(("service_rulings", service.name), make)

    def rules_for(self, service_name: str) -> list:
        """The rules that apply to a service (directly or through a group it belongs to)."""
        from ..rules.entries import applies_to

        return [r for r in self.rules if applies_to(r, service_name, self.services)]

    def filed_under(self, q: QA) -> set[str]:
        """The services (or groups) a ruling is filed under: the workbook's サービス種別 as
        printed (０１.全サービス共通 -> 全サービス), else the services its text names."""
        if q.rows and self.services is not None:
            return {n for r in q.rows for n in self.services.workbook_service(r.service).names}
        return set(self.services_of.get(q.id, ()))

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
        if not q.rows:  # a ruling from a document alone
            return []
        ids = set().union(*(self._workbooks_by_ruling.get(r.id, set()) for r in q.rows))
        return [w for w in self.corpus.workbooks if w.id in ids]


def _volume_crumbs(q: QA) -> tuple[tuple[str, str], ...]:
    return _crumbs_of(q.series_id, q.volume, q.series)


@lru_cache(maxsize=None)  # (the same for a volume's rulings, made once)
def _crumbs_of(series_id: str, volume: int | None, series: str) -> tuple[tuple[str, str], ...]:
    return (HOME, ("Q&A 各巻", paths.VOLUMES),
            (_label(series_id, volume, series_id, series), paths.volume_path(series_id, volume)))


def _volume_label(series_id: str, volume: int | None, q: QA) -> str:
    return _label(series_id, volume, q.series_id, q.series)


@lru_cache(maxsize=None)  # (a volume's rulings and its parts: one label, made once)
def _label(series_id: str, volume: int | None, q_series_id: str, q_series: str) -> str:
    short = series_short(q_series_id, q_series)
    return f"{short} Vol.{volume}".strip() if volume is not None else short or "その他"


def series_short(series_id: str, series: str) -> str:
    """A series in a few characters, for crumbs: 令和6年度, 平成24年度, 2019年度; else its title cut."""
    m = re.fullmatch(r"([rhy])(\d+)-qa", series_id)
    if m:
        return {"r": "令和", "h": "平成", "y": ""}[m[1]] + f"{int(m[2])}年度"
    return series if len(series) <= 24 else series[:23] + "…"


def pages(data: SiteData, stamp=None) -> list[Page]:
    """Every page, in a stable order. A page's context is all it shows besides what it asks
    ``site`` (SiteData's template methods): what kb.site.reuse digests to tell a changed page.
    Only the home page shows the build stamp (the date of the data): a new volume changes it,
    and it would otherwise change every page."""
    c = data.corpus
    # the documents' metadata (their text is on their own pages, clause by clause)
    docs = {d.id: replace(d, text="") for d in c.documents}
    docs_latest = sorted(docs.values(), key=lambda d: (d.date or "0000", d.id), reverse=True)
    vols = views.volumes(c)
    summaries = [views.volume_summary(v) for v in vols]
    out = [
        Page(paths.INDEX, "home.html", "検索", (HOME,),
             {"volumes": summaries, "latest": docs_latest[:10],
              "categories": views.category_options(data.payload.get("cats", [])),
              "service_options": views.service_options(data.services),
              "standards": data.payload.get("standards", []), "stamp": stamp or views.build_stamp(c)}),
        Page(paths.VOLUMES, "volumes.html", "Q&A 各巻", (HOME, ("Q&A 各巻", "")), {"volumes": summaries}),
        Page(paths.GLOSSARY, "glossary.html", "用語集", (HOME, ("用語集", "")),
             {"entries": list(data.thesaurus.entries) if data.thesaurus else []}),
        Page("docs/index.html", "documents.html", "資料一覧", (HOME, ("資料一覧", "")), {"documents": docs_latest}),
    ]
    for v, summary in zip(vols, summaries):
        label = _volume_label(v["series_id"], v["volume"], v["qas"][0])
        out.append(Page(v["path"], "volume.html", v["title"], (HOME, ("Q&A 各巻", paths.VOLUMES), (label, "")),
                        {"volume": summary, "qas": v["qas"]}))
    memo = c.memo
    for loaded in {d.id: d for d in c.documents}.values():  # (as docs: one page per id)
        d = docs[loaded.id]
        clauses = [ClauseView(x.id, x.kind, x.depth, x.display) for x in data._clauses_of.get(d.id, [])]
        if memo is not None:  # (without a memo, the page's key digests every clause)
            clauses = Clauses(clauses, memo.document_key(loaded))
        out.append(Page(paths.doc_path(d.id), "document.html", d.title,
                        (HOME, ("資料一覧", "docs/index.html"), (d.title, "")), {"doc": d, "clauses": clauses}))
    for q in c.qas:
        label = f"問{q.number}" if q.number is not None else q.topic or "問"
        out.append(Page(paths.qa_path(q.id), "qa.html", f"{q.volume_title} {label}",
                        _volume_crumbs(q) + ((label, ""),), {"qa": q}))
    order = {(v["series_id"], v["volume"]): n for n, v in enumerate(vols)}
    if data.rules:
        out.append(Page(paths.RULES, "rules.html", "加算・基準", (HOME, ("加算・基準", "")), {"rules": data.rules}))
        for r in data.rules:
            crumbs = (HOME, ("加算・基準", paths.RULES), (r.name, paths.rule_path(r.id)))
            parts = _parts(data.rule_qas(r.id), vols, order, lambda sid, vol: paths.rule_volume_path(r.id, sid, vol))
            out.append(Page(paths.rule_path(r.id), "rule.html", r.name, crumbs[:2] + ((r.name, ""),),
                            {"rule": r, "volumes": [summary for summary, _ in parts]}))
            out += _part_pages({"name": r.name, "path": paths.rule_path(r.id)}, "に関連する", crumbs, parts)
    if data.services is not None:
        out.append(Page(paths.SERVICES, "services.html", "サービス", (HOME, ("サービス", "")), {}))
        for s in data.services.all():
            rules, qas = data.service_rulings(s)
            crumbs = (HOME, ("サービス", paths.SERVICES), (s.name, paths.service_path(s.id)))
            parts = _parts(qas, vols, order,
                           lambda sid, vol: paths.service_volume_path(s.id, sid, vol))
            out.append(Page(paths.service_path(s.id), "service.html", s.name, crumbs[:2] + ((s.name, ""),),
                            {"service": s, "volumes": [summary for summary, _ in parts], "rules": rules}))
            out += _part_pages({"name": s.name, "path": paths.service_path(s.id)}, "に分類された", crumbs, parts)
    return out


def _parts(qas: list[QA], vols: list[dict], order: dict, path_of) -> list[tuple[dict, list[QA]]]:
    """Rulings split by volume, in the volumes' order (a page each: a service's or a rule's rulings
    of every volume would be megabytes): (the volume's summary with the part's path and count, its rulings)."""
    by_volume: dict[tuple, list[QA]] = {}
    for k, run in groupby(qas, key=_VOLUME_OF):  # (runs of one volume: a list sorted by ruling is one run each)
        by_volume.setdefault(k, []).extend(run)
    return [({**views.volume_summary(vols[order[k]], len(by_volume[k])), "path": path_of(*k)}, by_volume[k])
            for k in sorted(by_volume, key=order.__getitem__)]


_VOLUME_OF = attrgetter("series_id", "volume")


def _part_pages(owner: dict, relation: str, crumbs: tuple, parts: list) -> list[Page]:
    """A page per part of :func:`_parts`, under its owner (a service or a rule: name, path)."""
    out = []
    for summary, qas in parts:
        label = _volume_label(summary["series_id"], summary["volume"], qas[0])
        volume = {k: v for k, v in summary.items() if k != "new"}  # 新着 moves on with each volume; not shown here
        out.append(Page(summary["path"], "volume_part.html", f"{owner['name']} {label}", crumbs + ((label, ""),),
                        {"owner": owner, "relation": relation, "volume": volume, "qas": qas}))
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
    return list(map(found.__getitem__, sorted(found, key=data.qa_rank.__getitem__)))  # keys looked up in C
