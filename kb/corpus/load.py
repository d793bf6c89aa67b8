"""The whole corpus in memory: documents, their clauses, the workbooks, and the merged Q&A
records with the links between them (amendments, questions asked again)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..locations import default_corpus_dir
from .clauses import Clause, segment
from .documents import Document, load_documents
from .memo import Memo
from .qa import QA, extract, merge
from .rulings import Link, amendment_links, merge_rulings, repeated_questions, status_of, workbook_rulings
from .workbooks import Workbook, load_workbooks


@dataclass
class Corpus:
    root: Path
    documents: list[Document]
    clauses: list[Clause]
    qas: list[QA]
    workbooks: list[Workbook] = field(default_factory=list)
    memo: Memo | None = field(default=None, repr=False, compare=False)  # what the next load can reuse

    @cached_property
    def docs_by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    @cached_property
    def clauses_by_id(self) -> dict[str, Clause]:
        return {c.id: c for c in self.clauses}

    @cached_property
    def qas_by_id(self) -> dict[str, QA]:
        """Every ruling by its id, and by the ids merged into it (a workbook row's id)."""
        out = {q.id: q for q in self.qas}
        for q in self.qas:
            for alias in q.aliases:
                out.setdefault(alias, q)
        return out

    @cached_property
    def qa_by_clause(self) -> dict[str, QA]:
        out = {}
        for q in self.qas:
            if q.clause_id:
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

    # ---- links between rulings
    @cached_property
    def links(self) -> list[Link]:
        """Every amendment: which ruling deletes or corrects which (resolved where the corpus can)."""
        return amendment_links(self.qas)

    @cached_property
    def _links_by_end(self) -> tuple[dict[str, list[Link]], dict[str, list[Link]]]:
        newer: dict[str, list[Link]] = {}
        older: dict[str, list[Link]] = {}
        for link in self.links:
            if link.newer:
                newer.setdefault(link.newer, []).append(link)
            if link.older:
                older.setdefault(link.older, []).append(link)
        return newer, older

    def links_from(self, qa_id: str) -> list[Link]:
        """What this ruling deletes or corrects."""
        return list(self._links_by_end[0].get(qa_id, []))

    def links_to(self, qa_id: str) -> list[Link]:
        """What deleted or corrected this ruling."""
        return list(self._links_by_end[1].get(qa_id, []))

    @cached_property
    def statuses(self) -> dict[str, str]:
        """ruling id -> 削除 / 修正, for the rulings a newer one (or its notice) deleted or corrected."""
        return {q.id: st for q in self.qas if (st := status_of(q, self.links))}

    @cached_property
    def repeats(self) -> dict[str, list[str]]:
        """ruling id -> the rulings with the same question, newest first (asked more than once)."""
        return repeated_questions(self.qas, self.memo)

    def earlier(self, qa_id: str) -> list[str]:
        """The older rulings on the same question, when this is the newest."""
        group = self.repeats.get(qa_id, [])
        return group[1:] if group and group[0] == qa_id else []

    def newest(self, qa_id: str) -> str:
        """The newest ruling on the same question (itself when there is none newer)."""
        return self.repeats.get(qa_id, [qa_id])[0]


def build_corpus(documents: list[Document], root: Path | None = None,
                 workbooks: list[Workbook] | None = None, memo: Memo | None = None, pool=None) -> Corpus:
    """The corpus of these documents and workbooks; ``memo``: what an earlier load made (see
    :mod:`kb.corpus.memo`), to reuse and to add to; ``pool``: worker processes
    (:func:`kb.processes.workers`) that read the documents it lacks, side by side."""
    clauses: list[Clause] = []
    qas: list[QA] = []
    if memo is not None and pool is not None:
        memo.prepare(documents, _segmented_pickled, pool)
    for doc in documents:
        cl, found = memo.segmented(doc, _segmented) if memo is not None else _segmented(doc)
        clauses.extend(cl)
        qas.extend(found)
    qas = merge(qas)
    workbooks = list(workbooks or [])
    for wb in workbooks:
        qas = merge_rulings(qas, workbook_rulings(wb))
    return Corpus(root=Path(root) if root else Path("."), documents=documents, clauses=clauses, qas=qas,
                  workbooks=workbooks, memo=memo)


def _segmented(doc: Document) -> tuple[list[Clause], list[QA]]:
    clauses = segment(doc)
    return clauses, extract(doc, clauses)


def _segmented_pickled(job: tuple) -> tuple[bytes, bool] | None:
    """In a worker: the memo's entry of a document (:func:`kb.corpus.memo.entry` of :func:`_segmented`)
    pickled, and whether it was
    written to the memo's file (``job``: (document, that file's path or None)); None when it fails
    (the load makes it again itself, and its error, a DataError naming file and line, is raised there)."""
    import pickle

    from ..sources.files import write_atomic

    from .memo import entry

    doc, path = job
    try:
        data = pickle.dumps(entry(_segmented(doc)), 5)
    except Exception:
        return None
    written = False
    if path is not None:
        try:
            write_atomic(Path(path), data)
            written = True
        except OSError:  # saved with the rest at the build's end (kb.corpus.memo.Memo.save)
            pass
    return data, written


def load_corpus(root: Path | str | None = None, *, memo: bool = True, pool=None) -> Corpus:
    """The corpus under ``root``; with ``memo``, reusing what earlier loads cached (the build
    saves it: :meth:`kb.corpus.memo.Memo.save`), and what it lacks read in ``pool``'s workers."""
    root = Path(root) if root else default_corpus_dir()
    return build_corpus(load_documents(root), root, load_workbooks(root), Memo.open() if memo else None, pool)
