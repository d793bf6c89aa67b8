"""Plain dicts of the domain objects, for --json output and the site's data."""
from __future__ import annotations

from .clauses import Clause
from .dates import wareki
from .documents import Document
from .load import Corpus
from .notices import Notice
from .qa import QA
from .rulings import Link


def source_dict(doc: Document | None) -> dict:
    if doc is None:
        return {"id": "", "title": "", "kind": "", "date": "", "date_printed": "", "url": "", "bulletin": ""}
    return {"id": doc.id, "title": doc.title, "kind": doc.kind, "date": doc.date,
            "date_printed": doc.date_printed or (wareki(doc.date) if doc.date else ""), "url": doc.url,
            "bulletin": doc.bulletin}


def document_dict(doc: Document) -> dict:
    return {
        "id": doc.id, "title": doc.title, "kind": doc.kind, "issuer": doc.issuer,
        "date": doc.date, "date_wareki": wareki(doc.date) if doc.date else "",
        "date_printed": doc.date_printed, "url": doc.url, "bulletin": doc.bulletin, "series": doc.series,
        "volume": doc.volume, "note": doc.note,
    }


def clause_dict(c: Clause, corpus: Corpus) -> dict:
    doc = corpus.docs_by_id.get(c.doc_id)
    qa = corpus.qa_by_clause.get(c.id)
    return {
        "id": c.id, "kind": "clause", "clause_kind": c.kind, "doc_id": c.doc_id, "label": c.label, "title": c.title,
        "breadcrumb": list(c.breadcrumb), "parent": c.parent, "span": [c.start, c.end],
        "text": c.display, "search_text": c.search, "qa": qa.id if qa else None,
        "citation": f"{doc.title}　{c.title}" if doc else c.id,
        "source": source_dict(doc),
    }


def notice_dict(n: Notice) -> dict:
    return {"id": n.id, "date": n.date, "date_wareki": n.date_wareki, "date_printed": n.date_printed,
            "kind": n.kind, "bulletin": n.bulletin, "title": n.title, "name": n.name, "series": n.series,
            "volume": n.volume, "remark": n.remark, "printed": n.printed}


def link_dict(link: Link, corpus: Corpus) -> dict:
    """An amendment; each end as an id (when the corpus has that ruling) and a label."""
    def end(ident: str | None, label: str) -> dict:
        q = corpus.qas_by_id.get(ident) if ident else None
        return {"id": q.id if q else None, "label": q.citation if q else label}

    return {"action": link.action, "newer": end(link.newer, link.newer_label),
            "older": end(link.older, link.older_label)}


def qa_source(q: QA, corpus: Corpus) -> dict:
    """The source of a ruling: its corpus document, else the notice the workbook names."""
    doc = corpus.docs_by_id.get(q.source_doc or q.doc_id)
    if doc is None and q.notices:
        n = q.notices[0]
        return {"id": n.id, "title": n.title or n.bulletin, "date": n.date, "url": ""}
    return source_dict(doc)


def qa_dict(q: QA, corpus: Corpus) -> dict:
    return {
        "id": q.id, "kind": "qa", "series": q.series, "series_id": q.series_id,
        "volume": q.volume, "number": q.number, "reference": q.reference, "date": q.date,
        "date_wareki": wareki(q.date) if q.date else "", "date_printed": q.date_shown,
        "volume_title": q.volume_title,
        "service": q.service, "topic": q.topic, "question": q.question, "answer": q.answer,
        "citation": q.citation, "title": q.citation, "text": q.text,
        "clause_id": q.clause_id, "source_doc": q.source_doc,
        "quoted_in": [
            {"doc_id": x.doc_id, "clause_id": x.clause_id,
             "title": corpus.docs_by_id[x.doc_id].title if x.doc_id in corpus.docs_by_id else ""}
            for x in q.quoted_in
        ],
        "source": qa_source(q, corpus),
        "standard": q.standard,
        "workbook": [{"service": r.service, "standard": r.standard, "topic": r.topic} for r in q.rows],
        "issued": [notice_dict(n) for n in q.notices],
        "status": corpus.statuses.get(q.id, ""),
        "amends": [link_dict(x, corpus) for x in corpus.links_from(q.id)],
        "amended_by": [link_dict(x, corpus) for x in corpus.links_to(q.id)],
        "earlier": corpus.earlier(q.id),
        "newest": corpus.newest(q.id),
        "aliases": list(q.aliases),
    }
