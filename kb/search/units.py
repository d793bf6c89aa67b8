"""Search units: what one search hit can be. Shared by the Whoosh index and the browser index.

One unit per clause that is not a Q&A (a Q&A clause is represented by its merged
record, under the Q&A's own id), one per Q&A record, one per rule entry.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

from ..corpus.dates import wareki
from ..corpus.load import Corpus
from ..corpus.memo import parts_key
from ..corpus.normalize import key_form, search_text
from ..corpus.records import clause_dict, qa_source, source_dict
from .present import QA_CATEGORY, RULE_CATEGORY, clause_category, qa_headline

SEARCH_FIELDS = ("title", "heading", "question", "body", "source")  # the analysed text fields


@dataclass
class Unit:
    id: str
    kind: str  # qa | rule | heading | item | paragraph | table | qa-source
    doc_id: str
    title: str  # shown as the hit's title (citation for a Q&A)
    heading: str  # breadcrumb, search text
    question: str  # search text of a Q&A's question ("" otherwise)
    body: str  # search text
    source: str = ""  # the source document's title, issuer, kind and date (search text)
    series_id: str = ""
    volume: int | None = None
    number: int | None = None
    date: str = ""
    standard: str = ""  # 基準種別 of a workbook ruling
    services: list[str] = field(default_factory=list)
    category: str = ""  # the badge: Q&A, 加算・基準, or the document's kind (事務連絡 …)
    data: dict = field(default_factory=dict)  # the hit as printed by search --json
    # a digest of the texts its searched texts were derived from (kb.corpus.memo.parts_key: a
    # ruling's question, answer, breadcrumb and citation, a clause's search text …; see TEXT_KEYED),
    # which stands for those texts in the index's digests (kb.search.reuse); b"" for a rule's
    made: bytes = b""


# What a unit's ``made`` stands for: its searched texts (derived from the texts ``made`` digests, by
# the code, whose fingerprint the index's state is keyed by), and of a ruling's data the texts
# ``made`` digests themselves (its question and answer, and its text: the two joined) and its
# headline (derived from its question)
TEXT_KEYED = tuple(f for f in SEARCH_FIELDS if f != "title")  # (a rule's title is its own: not derived)
RULING_TEXT_KEYED = ("text", "question", "answer", "headline")


def _service_finder(services):
    """A function text -> sorted official service/group names it mentions, and a key of what it
    looks for (for :meth:`kb.corpus.memo.Memo.made`: a digest, as it is part of every unit's key;
    the names themselves were six times a ruling's text)."""
    if services is None:
        return (lambda text: []), ""
    names: dict[str, str] = {}
    for s in services.all():
        names[key_form(s.name)] = s.name
        for a in s.aliases:
            if len(key_form(a)) >= 2:  # 特定 etc. are too short to detect reliably
                names[key_form(a)] = s.name
    keys = sorted(names, key=len, reverse=True)

    def find(text: str) -> list[str]:
        t = key_form(text)
        found = set()
        for k in keys:
            if k in t:
                found.add(names[k])
                t = t.replace(k, "\x00")
        return sorted(found)

    return find, hashlib.blake2b(repr(sorted(names.items())).encode("utf-8"), digest_size=16).hexdigest()


SECTION_CHARS = 400  # a heading whose whole subtree is this short is searched as one unit


def _short_sections(corpus: Corpus) -> dict[str, list]:
    """heading clause id -> its descendants, for headings over short lists of items."""
    below: dict[str, list] = {}
    for c in corpus.clauses:
        for a in c.ancestors:
            below.setdefault(a, []).append(c)
    out = {}
    for c in corpus.clauses:
        kids = below.get(c.id, [])
        if (c.kind == "heading" and len(kids) >= 2 and not any(k.kind == "qa" for k in kids)
                and len(c.search) + sum(len(k.search) for k in kids) <= SECTION_CHARS):
            out[c.id] = kids
    return out


def _workbook_services(q, services) -> tuple[set[str], set[str]]:
    """(services, excluded) of a workbook ruling's サービス種別 cells. A group with
    「…を除く」 becomes its members less those taken out."""
    if services is None or not q.rows:
        return set(), set()
    names: set[str] = set()
    excluded: set[str] = set()
    for row in q.rows:
        ws = services.workbook_service(row.service)
        excluded |= set(ws.excluded)
        for name in ws.names:
            names |= set(services.members(name)) if ws.excluded and services.is_group(name) else {name}
    return names - excluded, excluded


def _notice_words(q) -> list[str]:
    """What a query may name a ruling's source by: title, bulletin (介護保険最新情報Vol.1225), kind."""
    return [w for n in q.notices for w in (n.title, n.bulletin, n.kind, n.date_printed) if w]


def _qa_data(q, corpus: Corpus, crumbs: list[str], headline: str, citation: str) -> dict:
    """The hit as search --json prints it (and the browser shows it); ``citation``: ``q.citation``."""
    data = {
        "id": q.id, "kind": "qa", "title": citation, "text": q.text, "citation": citation,
        "breadcrumb": crumbs, "source": qa_source(q, corpus),
        "volume": q.volume, "number": q.number, "series_id": q.series_id,
        "category": QA_CATEGORY, "headline": headline, "reference": q.reference,
        "date": q.date, "date_printed": q.date_shown, "topic": q.topic, "service": q.service,
        "question": q.question, "answer": q.answer,
        "quoted_from": [] if q.source_doc else [corpus.docs_by_id[x.doc_id].title for x in q.quoted_in
                                                 if x.doc_id in corpus.docs_by_id],
    }
    if q.standard:
        data["standard"] = q.standard
    if status := corpus.statuses.get(q.id):
        data["status"] = status  # 削除 / 修正: ranked below what replaced it
        data["amended_by"] = [x.newer for x in corpus.links_to(q.id) if x.newer]
    if group := corpus.repeats.get(q.id):
        data["group"] = group[0]  # the newest ruling on the same question stands for the group
        if group[0] == q.id:
            older = [corpus.qas_by_id[i] for i in group[1:]]
            data["earlier"] = [{"id": o.id, "citation": o.citation, "date": o.date} for o in older]
    return data


def _derived(jobs: list[tuple], find_services) -> list[tuple]:
    """What a clause's or a ruling's unit takes from its texts alone (search texts, the services
    they name, a ruling's headline), for each job of :func:`build_units`."""
    out = []
    for job in jobs:
        if job[0] == "clause":
            _kind, crumbs, body, described = job
            out.append((search_text(crumbs), find_services(crumbs + " " + body), search_text(" ".join(described))))
        else:
            _kind, crumbs, question, answer, described = job
            out.append((search_text(crumbs), search_text(question), search_text(answer),
                        search_text(" ".join(described)), find_services(crumbs + " " + question + " " + answer),
                        qa_headline(question)))
    return out


_finders: dict[str, object] = {}  # in a worker: the service finder of each service list (by its key)


def _derived_in_worker(chunk: tuple) -> list[tuple]:
    services_key, services, jobs = chunk
    find = _finders.get(services_key)
    if find is None:
        find = _finders[services_key] = _service_finder(services)[0]
    return _derived(jobs, find)


PARALLEL_JOBS = 2000  # fewer units to derive than this are derived here: sending them costs about as much
CHUNK = 500  # units a worker derives at a time


def _derive_all(jobs: list[tuple], services, finder: tuple, pool) -> list[tuple]:
    """:func:`_derived` of every job, in ``pool``'s workers when there are many (a first build:
    16,000 units at 10,000 Q&As, about a second and a half in one process)."""
    find_services, services_key = finder
    if pool is None or len(jobs) < PARALLEL_JOBS:
        return _derived(jobs, find_services)
    chunks = [(services_key, services, jobs[i:i + CHUNK]) for i in range(0, len(jobs), CHUNK)]
    return _sharing(jobs, [value for part in pool.imap(_derived_in_worker, chunks) for value in part])


def _sharing(jobs: list[tuple], values: list[tuple]) -> list[tuple]:
    """Values made in workers, with the texts they hold unchanged from their job's (a search text
    is its text where normalizing changes nothing) as the job's own strings, and the services'
    names shared, as :func:`_derived` makes them here: the copies that came from the workers
    weighed 20 MB at 10,000 Q&As (and in every process forked after)."""
    names: dict[str, str] = {}
    out = []
    for job, value in zip(jobs, values):
        if job[0] == "clause":
            crumbs = job[1]
            heading, found, source = value
            out.append((crumbs if heading == crumbs else heading, [names.setdefault(n, n) for n in found], source))
        else:
            _kind, crumbs, question, answer, _described = job
            heading, asked, body, source, named, headline = value
            out.append((crumbs if heading == crumbs else heading, question if asked == question else asked,
                        answer if body == answer else body, source, [names.setdefault(n, n) for n in named],
                        question if headline == question else headline))
    return out


class Facets(NamedTuple):
    """What the site's pages take of the units: the categories and 基準種別 its filters offer, and
    each ruling's services (the units' ``services``), in unit order."""
    categories: list[str]
    standards: list[str]
    services: list[tuple[str, list[str]]]  # (ruling id, its services)

    def choices(self) -> dict:
        """The filters' choices, as the browser index holds them (``cats``, ``standards``)."""
        return {"cats": self.categories, "standards": self.standards}


def facets(units: list[Unit]) -> Facets:
    return Facets(sorted({u.category for u in units}), sorted({u.standard for u in units if u.standard}),
                  [(u.id, u.services) for u in units if u.kind == "qa"])


@dataclass
class Derived:
    """What :func:`derive_units` takes from the texts of the corpus's clauses and rulings, before
    the units are made of it (:func:`make_units`)."""
    clauses: list  # per clause unit: (clause, document, breadcrumb, kind, display, body)
    citations: list[str]  # per ruling: its citation
    values: list[tuple]  # per clause unit, then per ruling: what _derived makes of its texts
    fresh: list[int]  # where in values: those made now (the memo lacked them: new or changed texts)
    keys: list[bytes]  # per value: the parts_key of the texts it was made of (the units' ``made``)
    services: tuple | None = None  # (the service list, per ruling its unit's services), once facets() found them

    def searched(self, only: list[int] | None = None) -> list[str]:
        """The searched texts (:data:`SEARCH_FIELDS`, in order) of the clauses' and rulings' units
        (``only``: of those at these places in ``values``), as :func:`searchable_texts` of them."""
        out: list[str] = []
        first = len(self.clauses)
        for n in range(len(self.values)) if only is None else only:
            if n < first:
                heading, _found, source = self.values[n]
                fields = {"title": "", "heading": heading, "question": "", "body": self.clauses[n][5], "source": source}
            else:
                heading, question, body, source, _named, _headline = self.values[n]
                fields = {"title": "", "heading": heading, "question": question, "body": body, "source": source}
            out += map(fields.__getitem__, SEARCH_FIELDS)
        return out

    def rulings(self) -> list[tuple]:
        """Per ruling: what its unit takes from its texts (heading, question, body, source, the
        services its texts name, headline)."""
        return self.values[len(self.clauses):]

    def facets(self, corpus: Corpus, rules=None, services=None) -> Facets:
        """:func:`facets` of the units :func:`make_units` makes of these, without making them."""
        categories = {clause_category(doc.kind) for _c, doc, *_rest in self.clauses}
        categories |= {QA_CATEGORY} if corpus.qas else set()
        categories |= {RULE_CATEGORY} if rules else set()
        found = [ruling_services(q, named, services) for q, (_h, _q, _b, _s, named, _l) in zip(corpus.qas, self.rulings())]
        self.services = (services, found)  # (make_units takes them)
        return Facets(sorted(categories), sorted({q.standard for q in corpus.qas if q.standard}),
                      [(q.id, names) for q, names in zip(corpus.qas, found)])


def build_units(corpus: Corpus, rules=None, services=None, pool=None) -> list[Unit]:
    """Every search unit of the corpus and the rules (:func:`derive_units`, then :func:`make_units`)."""
    return make_units(corpus, derive_units(corpus, services, pool), rules, services)


def derive_units(corpus: Corpus, services=None, pool=None) -> Derived:
    """What the units of the corpus's clauses and rulings take from their texts alone: reused from
    the corpus's :class:`~kb.corpus.memo.Memo` where an earlier build made it from the same texts;
    the rest is made now, in ``pool``'s workers (:func:`kb.processes.workers`) when there is much
    of it. Their searched texts are known then (:meth:`Derived.searched`), before the units are
    made (the build starts their analysis then)."""
    finder = _service_finder(services)
    services_key = finder[1]
    sections = _short_sections(corpus)
    clauses, jobs = [], []
    for c in corpus.clauses:
        if c.kind == "qa":
            continue
        doc = corpus.docs_by_id[c.doc_id]
        crumbs = " > ".join(c.breadcrumb)
        kind, display, body = c.kind, c.display, c.search
        if c.id in sections:
            # a heading over a few short items (a slide): the answer is the whole list
            kind = "section"
            display = "\n".join([c.display, *(d.display for d in sections[c.id])])
            body = " ".join([c.search, *(d.search for d in sections[c.id])])
        described = (doc.title, doc.issuer, doc.kind, doc.date_printed)
        clauses.append((c, doc, crumbs, kind, display, body))
        jobs.append((("clause-unit", services_key, crumbs, body, *described), ("clause", crumbs, body, described)))
    citations: list[str] = []
    for q in corpus.qas:
        crumbs = " ".join(x for x in (q.service, q.topic) if x)
        described = (q.citation, *_notice_words(q))  # (a QA's citation is made anew each time it is asked)
        citations.append(described[0])
        jobs.append((("qa-unit", services_key, crumbs, q.question, q.answer, *described),
                     ("qa", crumbs, q.question, q.answer, described)))
    memo = corpus.memo
    made: list[tuple] = []  # the jobs made now

    def make_all(todo: list[tuple]) -> list[tuple]:
        made.extend(todo)
        return _derive_all(todo, services, finder, pool)

    keys = [parts_key(parts) for parts, _job in jobs]
    todo = [job for _parts, job in jobs]
    values = memo.made_all(keys, todo, make_all) if memo is not None else make_all(todo)
    new = set(map(id, made))  # (a job made now stands for those with its texts, made with it)
    return Derived(clauses, citations, values, [n for n, (_parts, job) in enumerate(jobs) if id(job) in new], keys)


def ruling_services(q, named: list[str], services) -> list[str]:
    """The services of a ruling's unit: those its texts name (``named``) and its workbook rows'
    サービス種別, less those the rows exclude."""
    mapped, excluded = _workbook_services(q, services)
    return sorted((set(named) - excluded) | mapped)


def make_units(corpus: Corpus, derived: Derived, rules=None, services=None) -> list[Unit]:
    """The units of :func:`derive_units`'s clauses and rulings, then one per rule entry."""
    units: list[Unit] = []
    derived_values = iter(derived.values)
    keys = iter(derived.keys)
    for (c, doc, crumbs, kind, display, body), (heading, found, source), made in zip(derived.clauses, derived_values,
                                                                                   keys):
        rec = clause_dict(c, corpus)
        title = doc.title + (" > " + crumbs if crumbs else "")
        # a heading is its own title; other text goes under its nearest heading, else its document
        own = c.title if kind in ("heading", "section") else (c.breadcrumb[-1] if c.breadcrumb else "")
        data = {
            "id": c.id, "kind": kind, "title": title, "text": display,
            "citation": rec["citation"], "breadcrumb": list(c.breadcrumb), "source": rec["source"],
            "category": clause_category(doc.kind), "headline": own.strip() or doc.title,
            "date": doc.date, "date_printed": doc.date_printed or wareki(doc.date),
        }
        units.append(Unit(
            # no title field: a clause's title is its own first line, already in the body
            id=c.id, kind=kind, doc_id=c.doc_id, title="", heading=heading,
            question="", body=body, date=doc.date, services=found, source=source,
            category=data["category"], data=data, made=made,
        ))
    known = derived.services  # (when its facets were asked for, with the same list)
    services_of = iter(known[1]) if known is not None and known[0] is services else None
    for q, citation, (heading, question, body, source, named, headline), made in zip(
            corpus.qas, derived.citations, derived_values, keys):
        crumbs = [x for x in (q.service, q.topic) if x]
        units.append(Unit(
            # no title: the series title (「…介護報酬改定に関するＱ＆Ａ」, on every ruling) says only
            # where a ruling came from, so it is searched with the source, at a low weight
            id=q.id, kind="qa", doc_id=q.source_doc or q.doc_id, title="", heading=heading, question=question,
            body=body, source=source, series_id=q.series_id, volume=q.volume, number=q.number, date=q.date,
            standard=q.standard, services=next(services_of) if services_of is not None else ruling_services(q, named, services),
            category=QA_CATEGORY,
            data=_qa_data(q, corpus, crumbs, headline, citation), made=made,
        ))
    if rules:
        from ..rules.entries import amount_dict, rule_text

        for r in rules:
            text = rule_text(r)
            data = {
                "id": r.id, "kind": "rule", "title": r.name, "text": text, "citation": r.name,
                "breadcrumb": [r.kind], "source": source_dict(None), "aliases": list(r.aliases),
                # the search shows those in force on the day it is asked (kb.search.searcher._in_force)
                "amounts": [amount_dict(r, a) for a in r.amounts],
                "category": RULE_CATEGORY, "headline": r.name, "date": "", "date_printed": "",
            }
            units.append(Unit(
                id=r.id, kind="rule", doc_id="", title=search_text(" ".join([r.name, *r.aliases])),
                heading=search_text(r.kind), question="", body=search_text(text),
                services=sorted(set(r.services)), category=RULE_CATEGORY, data=data,
            ))
    return units


def searchable_texts(units: list[Unit]) -> Iterator[str]:
    """Every text the index and the browser index analyse, in unit order."""
    for u in units:
        for f in SEARCH_FIELDS:
            yield getattr(u, f)
