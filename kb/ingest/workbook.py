"""Adding MHLW's workbook 介護サービスQ＆A集 (xlsx) to the corpus.

:func:`ingest_workbook` reads the sheet (:mod:`kb.sources.workbook`), gives every row the id
of its ruling (:func:`kb.corpus.rulings.assign_ids`), stores the rows as reviewable text
(:mod:`kb.corpus.workbooks`), checks that the stored file reads back to the same rows and
that the corpus loads with it, and only then moves it in. Re-ingesting a newer edition
with ``replace`` swaps the old one out and reports which rulings were added, removed or
changed.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.documents import load_documents
from ..corpus.load import build_corpus
from ..corpus.notices import parse_notices
from ..corpus.rulings import assign_ids
from ..corpus.workbooks import WORKBOOKS_DIR, Workbook, WorkbookRow, dump, load_workbook, load_workbooks
from ..sources.files import DataError
from ..sources.workbook import WorkbookError, read_workbook
from .document import IngestError

DEFAULT_ID = "mhlw-kaigo-service-qa"  # one id for every edition: a new edition replaces the old


@dataclass
class WorkbookReport:
    workbook_id: str
    path: str  # the .toml written
    title: str
    sheet: str
    rows: int
    rulings: int
    listed_twice: int  # rows that repeat a ruling under another service
    merged: list[str]  # rulings the corpus already had from a document (ids kept)
    amendments: int
    amendments_resolved: int
    repeated: int  # rulings whose question was asked again in another notice
    undated: int
    unknown_services: dict[str, int]  # サービス種別 not in services.toml -> rows
    unanswered: list[int]  # sheet rows without an answer
    skipped: list[int]  # sheet rows with text but no question or answer
    replaced: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        out = [f"{'replaced' if self.replaced else 'added'} {self.workbook_id}: {self.title} ({self.sheet})",
               f"  {self.rows} rows -> {self.rulings} rulings"
               + (f" ({self.listed_twice} rows list a ruling under a second service)" if self.listed_twice else "")]
        if self.merged:
            out.append(f"  {len(self.merged)} already in the corpus from a document, merged (numbers kept): "
                       + ", ".join(self.merged[:8]) + (" …" if len(self.merged) > 8 else ""))
        out.append(f"  amendments: {self.amendments} (削除/修正 of an earlier 問), "
                   f"{self.amendments_resolved} linked to a ruling in the corpus")
        if self.repeated:
            out.append(f"  {self.repeated} rulings answer a question asked again in another notice")
        if self.replaced:
            out.append(f"  since the last edition: {len(self.added)} added, {len(self.removed)} removed, "
                       f"{len(self.changed)} changed")
        for label, n in sorted(self.unknown_services.items()):
            out.append(f"  warning: サービス種別 {label.splitlines()[0]!r} is not in services.toml ({n} rows); "
                       "its rulings are kept but not listed under a service")
        if self.undated:
            out.append(f"  warning: {self.undated} rulings without a date in QA発出時期")
        if self.unanswered:
            out.append(f"  warning: no 回答 in sheet rows {', '.join(map(str, self.unanswered[:10]))}")
        if self.skipped:
            out.append(f"  skipped {len(self.skipped)} rows with neither 質問 nor 回答 (sheet rows "
                       f"{', '.join(map(str, self.skipped[:10]))})")
        return out


def _code(service_cell: str) -> int:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", service_cell.strip())[:4] if ch.isdigit())
    return int(digits) if digits else 10**6


def stored_rows(book) -> list[WorkbookRow]:
    """The sheet's rows with their ruling ids, in the stored order: service code, then the
    date and id of the ruling (MHLW's row order changes between editions; this does not)."""
    notices = [parse_notices(r.issued) for r in book.rows]
    ids = assign_ids([(n, r.question) for n, r in zip(notices, book.rows)])
    keyed = []
    for n, (rid, ns, r) in enumerate(zip(ids, notices, book.rows)):
        row = WorkbookRow(id=rid, service=r.service, standard=r.standard, topic=r.topic, question=r.question,
                          answer=r.answer, issued=r.issued, number=r.number)
        keyed.append(((_code(r.service), r.service, ns[0].date if ns else "", rid, n), row))
    return [row for _, row in sorted(keyed, key=lambda kr: kr[0])]


def ingest_workbook(path: Path | str, corpus_dir: Path | str, *, workbook_id: str | None = None,
                    replace_existing: bool = False) -> WorkbookReport:
    corpus_dir = Path(corpus_dir)
    if not (corpus_dir / "documents").is_dir():
        raise IngestError(f"{corpus_dir}: not a corpus folder (no documents/ inside); pass --corpus DIR")
    try:
        book = read_workbook(path)
    except WorkbookError as e:
        raise IngestError(str(e)) from None
    if not book.rows:
        raise IngestError(f"{path}: sheet '{book.sheet}' has the Q&A columns but no rows with a 質問 or 回答")
    wid = workbook_id or DEFAULT_ID
    folder = corpus_dir / WORKBOOKS_DIR
    target = folder / f"{wid}.toml"
    if target.exists() and not replace_existing:
        raise IngestError(f"{target} already exists (an earlier edition); pass --replace to replace it with this one")
    workbook = Workbook(id=wid, title=book.title, sheet=book.sheet, source_file=Path(path).name,
                        rows=tuple(stored_rows(book)))
    try:
        documents = load_documents(corpus_dir)
        others = [w for w in load_workbooks(corpus_dir) if w.id != wid]
        old = load_workbook(target) if target.exists() else None
    except DataError as e:
        raise IngestError(f"the corpus does not load before ingest: {e}") from None
    folder.mkdir(exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".ingest-", dir=folder))
    try:
        tmp = tmp_dir / target.name  # the loader wants the id as the file name
        tmp.write_text(dump(workbook), encoding="utf-8", newline="\n")
        try:
            stored = load_workbook(tmp)
        except DataError as e:
            raise IngestError(f"the stored form does not load ({e}); nothing written") from None
        if stored.rows != workbook.rows:
            raise IngestError(f"{path}: the stored form does not read back to the same rows; nothing written")
        report = _report(workbook, book, documents, others, old, corpus_dir)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    report.path = str(target)
    return report


def _report(workbook: Workbook, book, documents, others: list[Workbook], old: Workbook | None,
            corpus_dir: Path) -> WorkbookReport:
    from ..corpus.rulings import workbook_rulings

    after = build_corpus(documents, corpus_dir, others + [workbook])
    own = workbook_rulings(workbook)
    ids = {r.id for r in own}
    mine = [q for q in after.qas if q.id in ids or set(q.aliases) & ids]  # this workbook's rulings, merged
    mine_ids = {q.id for q in mine}
    # rulings the corpus had already: from a document (a clause) or from another workbook's rows
    own_rows = set(workbook.rows)
    merged = sorted(q.id for q in mine if q.clause_id or any(r not in own_rows for r in q.rows))
    links = [link for link in after.links if link.newer in mine_ids or link.older in mine_ids]
    report = WorkbookReport(
        workbook_id=workbook.id, path="", title=workbook.title, sheet=workbook.sheet, rows=len(workbook.rows),
        rulings=len(own), listed_twice=len(workbook.rows) - len(own), merged=merged,
        amendments=len(links), amendments_resolved=sum(1 for link in links if link.newer and link.older),
        repeated=sum(1 for q in mine if q.id in after.repeats), undated=sum(1 for r in own if not r.date),
        unknown_services=_unknown_services(workbook, corpus_dir),
        unanswered=[r.sheet_row for r in book.rows if not r.answer.strip()], skipped=list(book.skipped),
        replaced=old is not None,
    )
    if old is not None:
        was = {r.id: r for r in workbook_rulings(old)}
        now = {r.id: r for r in own}
        report.added = sorted(set(now) - set(was))
        report.removed = sorted(set(was) - set(now))
        report.changed = sorted(i for i in set(now) & set(was) if now[i].rows != was[i].rows)
    return report


def _unknown_services(workbook: Workbook, corpus_dir: Path) -> dict[str, int]:
    from ..rules.services import load_services

    try:
        services = load_services(corpus_dir)
    except DataError:
        return {}
    out: dict[str, int] = {}
    for row in workbook.rows:
        if services.workbook_service(row.service).unknown:
            out[row.service] = out.get(row.service, 0) + 1
    return out
