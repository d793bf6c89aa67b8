"""The whole corpus in memory: documents, their clauses and the merged Q&A records."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..locations import default_corpus_dir
from .clauses import Clause, segment
from .documents import Document, load_documents
from .qa import QA, extract, merge


@dataclass
class Corpus:
    root: Path
    documents: list[Document]
    clauses: list[Clause]
    qas: list[QA]

    @cached_property
    def docs_by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    @cached_property
    def clauses_by_id(self) -> dict[str, Clause]:
        return {c.id: c for c in self.clauses}

    @cached_property
    def qas_by_id(self) -> dict[str, QA]:
        return {q.id: q for q in self.qas}

    @cached_property
    def qa_by_clause(self) -> dict[str, QA]:
        out = {}
        for q in self.qas:
            out[q.clause_id] = q
            for quote in q.quoted_in:
                out[quote.clause_id] = q
        return out

    def volumes(self) -> dict[tuple[str, int], tuple[str, str]]:
        """(series_id, volume) -> (series title, ISO date), from every Q&A seen."""
        out: dict[tuple[str, int], tuple[str, str]] = {}
        for q in self.qas:
            if q.volume is not None:
                key = (q.series_id, q.volume)
                if key not in out or (not out[key][1] and q.date):
                    out[key] = (q.series, q.date)
        return dict(sorted(out.items()))

    def clauses_of(self, doc_id: str) -> list[Clause]:
        return [c for c in self.clauses if c.doc_id == doc_id]


def build_corpus(documents: list[Document], root: Path | None = None) -> Corpus:
    clauses: list[Clause] = []
    qas: list[QA] = []
    for doc in documents:
        cl = segment(doc)
        clauses.extend(cl)
        qas.extend(extract(doc, cl))
    return Corpus(root=Path(root) if root else Path("."), documents=documents, clauses=clauses, qas=merge(qas))


def load_corpus(root: Path | str | None = None) -> Corpus:
    root = Path(root) if root else default_corpus_dir()
    return build_corpus(load_documents(root), root)
