"""Adding a document to the corpus: extract, propose metadata, validate, write atomically, report.

``kaigo-kb ingest`` is a thin wrapper over :func:`read_source`, :func:`propose`,
:func:`check_metadata` and :func:`write_entry`. Nothing touches the corpus until the
new entry has been written to a temporary folder inside ``documents/`` and loaded
back with the same validation as the seeds; then both files are moved in with
``os.replace`` (same file system, so each move is atomic) and any failure in
between puts the previous state back.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.dates import PRINTED_WAREKI, DateError, find_wareki, parse_date, printed_wareki
from ..corpus.documents import DOCUMENT_SCHEMA, KINDS, Document, load_document
from ..corpus.markers import classify, is_qa_source
from ..sources.files import MAX_FILE_BYTES, DataError, decode_text, read_bytes
from ..sources.pdf import MAX_PDF_BYTES, Extracted, Line, PdfError, bulletin_of, extract_pdf, filter_text


class IngestError(Exception):
    """A problem the user can fix; the message is one line."""


# the order fields are written in, as in the seed entries
FIELDS = ("id", "title", "kind", "issuer", "date", "date_printed", "url", "bulletin", "series", "volume", "source_file",
          "note")
REQUIRED = ("id", "title", "kind")

_SERIES = re.compile(r"(?P<series>令和\s*[0-9０-９]+\s*年度介護報酬改定に関する\s*[ＱQ]\s*[＆&]\s*[ＡA])"
                     r"\s*[（(]\s*[ＶVｖv][ＯOｏo][ＬLｌl]\s*[.．]?\s*(?P<vol>[0-9０-９]+)\s*[）)]")
_ISSUER = re.compile(r"^厚生労働省[^。、]{0,40}$")
_TITLE_END = re.compile(r"(?:について|の送付|の周知|に関するＱ＆Ａ|[（(][^）)]{1,10}[）)])$")
_SKIP_TITLE = re.compile(r"^(?:事\s*務\s*連\s*絡|記|別\s*添|別\s*紙|各|殿|御中)|御中$|殿$|^[0-9０-９\s]+$")


@dataclass
class Source:
    path: Path
    text: str
    kind: str  # "pdf" | "text"
    pages: int = 1
    removed: list[str] = field(default_factory=list)
    empty_pages: list[int] = field(default_factory=list)
    bulletin: str = ""  # 介護保険最新情報 Vol.N from the cover sheet (removed from the text)


@dataclass
class Report:
    doc_id: str
    path: str  # the .toml written (or that would be written)
    metadata: dict
    proposed: list[str]  # fields taken from the text
    clauses: int
    qas: list[str]  # ids, in order
    numbers: list[int]
    unnumbered: int
    unanswered: list[str]  # 問 labels whose answer is empty
    gaps: list[tuple[int, int]]  # (after, next) where next != after + 1
    duplicates: list[int]
    removed: list[str]
    empty_pages: list[int]
    replaced: bool = False
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["gaps"] = [list(g) for g in self.gaps]
        return d

    def lines(self) -> list[str]:
        m = self.metadata
        vol = f" Vol.{m['volume']}" if m.get("volume") else ""
        out = [f"{'replaced' if self.replaced else 'added'} {self.doc_id}: {m['title']} [{m['kind']}{vol}]"
               + (f" ({m['date']})" if m.get("date") else "")]
        if self.proposed:
            out.append("  read from the text: " + ", ".join(f"{k}={m[k]}" for k in self.proposed))
        out.append(f"  {self.clauses} clauses, {len(self.qas)} Q&As"
                   + (f" ({self.unnumbered} unnumbered)" if self.unnumbered else ""))
        if self.numbers:
            out.append("  問: " + " ".join(str(n) for n in self.numbers))
        if self.qas:
            out.append(f"  ids: {self.qas[0]} … {self.qas[-1]}" if len(self.qas) > 1 else f"  id: {self.qas[0]}")
        for label in self.unanswered:
            out.append(f"  warning: {label} has no answer (答 missing or not recognised)")
        for a, b in self.gaps:
            out.append(f"  warning: numbering gap: 問{a} then 問{b}")
        for n in self.duplicates:
            out.append(f"  warning: 問{n} appears more than once")
        if self.empty_pages:
            out.append("  warning: no text layer on page(s) " + ", ".join(map(str, self.empty_pages))
                       + " (scanned? OCR is needed and kaigo-kb does not do it)")
        for w in self.warnings:
            out.append(f"  warning: {w}")
        if self.removed:
            out.append(f"  page furniture removed: {len(self.removed)} line(s), e.g. {self.removed[0]}")
        return out


# --------------------------------------------------------------------------- read


def read_source(path: Path | str) -> Source:
    """The text of a PDF or a UTF-8 text file, page furniture removed."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise IngestError(f"{path}: no such file")
    try:
        raw = read_bytes(path, MAX_PDF_BYTES)
        if not raw.strip():
            raise IngestError(f"{path}: empty file; give a PDF or a UTF-8 .txt file")
        if b"%PDF-" in raw[:1024]:
            ex: Extracted = extract_pdf(path, raw)
            kind = "pdf"
        else:
            if path.suffix.lower() == ".pdf":
                raise IngestError(f"{path}: not a PDF (no %PDF header); give a PDF or a UTF-8 .txt file")
            ex = filter_text(_decode(raw, path))
            kind = "text"
    except PdfError as e:
        raise IngestError(str(e)) from None
    except DataError as e:
        raise IngestError(f"{e}; give a PDF or a UTF-8 .txt file" if "not UTF-8 text" in e.message else str(e)) from None
    if not ex.text.strip():
        raise IngestError(f"{path}: no text found")
    if len(ex.text.encode("utf-8")) > MAX_FILE_BYTES:
        raise IngestError(f"{path}: the text is larger than a corpus file may be ({MAX_FILE_BYTES // 2**20} MB); "
                          "split the document")
    return Source(path, ex.text, kind, ex.pages, ex.removed, ex.empty_pages, ex.bulletin)


def _decode(raw: bytes, path: Path) -> str:
    try:
        return decode_text(raw, path)
    except DataError as e:
        if b"\x00" in raw[:1024] and "not UTF-8" in e.message:
            raise IngestError(f"{path}: binary file, neither a PDF nor text; give a PDF or a UTF-8 .txt file") from None
        raise


# --------------------------------------------------------------------------- metadata


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def propose(text: str, bulletin: str = "") -> dict:
    """Metadata read from the text: title, date, series/volume, kind, issuer, and the
    介護保険最新情報 number (``bulletin``: the one read from a cover sheet, else the text's
    head). Only what is printed."""
    lines = [ln.strip() for ln in text.splitlines()[:60] if ln.strip()]
    head = lines[:15]
    out: dict = {}
    bulletin = bulletin or bulletin_of([Line(ln) for ln in head])
    if bulletin:
        out["bulletin"] = bulletin
    # the issuer block of a 事務連絡/通知: consecutive 厚生労働省… lines near the top
    issuers = [i for i, ln in enumerate(head) if _ISSUER.match(ln)]
    if issuers:
        block = [head[issuers[0]]]
        for i in issuers[1:]:
            if i != issuers[0] + len(block):
                break
            block.append(head[i])
        out["issuer"] = "、".join(block)
    # the volume's own title line, near the top; a quote (「…（Vol.1）…」より) is not a title
    title_line = next((ln for ln in lines[:20] if _SERIES.search(ln) and not is_qa_source(ln)), None)
    if title_line:
        m = _SERIES.search(title_line)
        out["series"] = re.sub(r"\s+", "", m["series"])
        out["volume"] = int(_nfkc(m["vol"]))
        out["kind"] = "Q&A"
        out["title"] = title_line.strip("「」 \u3000")
    else:
        title_line = _title(lines, after=issuers[len(out["issuer"].split("、")) - 1] + 1 if issuers else 0)
        if title_line:
            out["title"] = title_line
        if any(re.fullmatch(r"事\s*務\s*連\s*絡", ln) for ln in lines[:5]):
            out["kind"] = "事務連絡"
    # the date: on the title line first (「…（Vol.17）（令和７年10月1日）」), else near the top
    for ln in ([title_line] if title_line else []) + head:
        printed = printed_wareki(ln)
        if printed:
            out["date"] = find_wareki(printed).isoformat()
            out["date_printed"] = printed
            break
    return out


def _title(lines: list[str], after: int) -> str | None:
    """The first title-like line after the letterhead, joined with its continuation
    (「…と医療」「機関との連携等に係る内容の周知及び協力について」); never past the first 問/答."""
    first_qa = next((i for i, ln in enumerate(lines) if (m := classify(ln)) and m.style in ("qa", "answer")),
                    len(lines))
    for i in range(after, min(after + 15, first_qa)):
        ln = lines[i]
        if (_SKIP_TITLE.search(ln) or PRINTED_WAREKI.fullmatch(ln) or _ISSUER.match(ln)
                or re.match(r"^[0-9０-９]", ln) or classify(ln) is not None or not 6 <= len(ln) <= 100
                or ln.endswith(("。", "、"))):
            continue
        title = ln
        for nxt in lines[i + 1:min(i + 3, first_qa)]:
            if _TITLE_END.search(title) or nxt.endswith("。") or classify(nxt) is not None:
                break
            if not _TITLE_END.search(nxt) or len(title + nxt) > 120:
                break
            title += nxt
        return title
    return None


def check_metadata(meta: dict) -> dict:
    """Normalise and check user-given metadata (before writing); IngestError names the option."""
    meta = {k: v for k, v in meta.items() if v not in (None, "")}
    if "date" in meta and not isinstance(meta["date"], dt.date):
        try:
            d = parse_date(str(meta["date"]))
        except DateError as e:
            raise IngestError(f"--date: {e}") from None
        if not meta.get("date_printed") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["date"]).strip()):
            meta["date_printed"] = str(meta["date"]).strip()
        meta["date"] = d.isoformat()
    if "bulletin" in meta:
        m = re.fullmatch(r"(?:介護保険最新情報)?\s*(?:vol\.?)?\s*(\d{1,5})", _nfkc(str(meta["bulletin"])).strip(), re.I)
        if not m:
            raise IngestError(f"--bulletin: {meta['bulletin']!r} is not a 介護保険最新情報 number; "
                              "write it as \"介護保険最新情報 Vol.1400\" or 1400")
        meta["bulletin"] = f"介護保険最新情報 Vol.{int(m[1])}"
    if "kind" in meta and meta["kind"] not in KINDS:
        raise IngestError(f"--kind: {meta['kind']!r} is not one of: {', '.join(KINDS)}")
    if "id" in meta and not re.fullmatch(DOCUMENT_SCHEMA["id"].pattern, meta["id"]):
        raise IngestError(f"--id: {meta['id']!r} must be lower-case ASCII, digits and '-', e.g. r6-kaigo-qa-vol17")
    if meta.get("volume") is not None and not meta.get("series"):
        raise IngestError("--vol needs --series (e.g. --series 令和６年度介護報酬改定に関するＱ＆Ａ)")
    if meta.get("kind") == "Q&A" and meta.get("series") and meta.get("volume") is None:
        raise IngestError("--series of a Q&A volume needs --vol N")
    for name, value in meta.items():  # the corpus schema's own checks, named by option, before anything is written
        spec = DOCUMENT_SCHEMA.get(name)
        option = "--vol" if name == "volume" else f"--{name.replace('_', '-')}"
        if spec and spec.pattern and not re.fullmatch(spec.pattern, str(value)):
            raise IngestError(f"{option}: {value!r} does not match {spec.pattern} ({spec.help})")
        if spec and spec.check and (msg := spec.check(value)):
            raise IngestError(f"{option}: {msg}")
    return meta


def propose_id(meta: dict) -> str | None:
    """r6-kaigo-qa-vol17 for Vol.17 of 令和６年度介護報酬改定に関するＱ＆Ａ; None for other documents."""
    from ..corpus.series import series_id

    if meta.get("kind") != "Q&A" or not meta.get("series") or not meta.get("volume"):
        return None
    m = re.fullmatch(r"r(\d+)-qa", series_id(meta["series"]))
    return f"r{m[1]}-kaigo-qa-vol{meta['volume']}" if m else None


def missing(meta: dict) -> list[str]:
    return [k for k in REQUIRED if not meta.get(k)]


# --------------------------------------------------------------------------- write


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v  # a TOML local date, like the seed entries
    return json.dumps(str(v), ensure_ascii=False)  # JSON string escapes are valid TOML basic strings


def to_toml(meta: dict) -> str:
    return "".join(f"{k} = {_toml_value(meta[k])}\n" for k in FIELDS if meta.get(k) not in (None, ""))


def documents_dir(corpus_dir: Path | str) -> Path:
    folder = Path(corpus_dir) / "documents"
    if not folder.is_dir():
        raise IngestError(f"{corpus_dir}: not a corpus folder (no documents/ inside); pass --corpus DIR")
    return folder


def write_entry(corpus_dir: Path | str, meta: dict, text: str, replace: bool = False,
                inspect=None) -> tuple[Document, bool, object]:
    """Write <id>.txt and <id>.toml; return the Document, whether an entry was replaced and
    what ``inspect(doc)`` returned.

    Validated (and inspected) in a temporary folder beside the corpus files first; on any
    error the corpus is left as it was."""
    folder = documents_dir(corpus_dir)
    doc_id = meta["id"]
    targets = [folder / f"{doc_id}.txt", folder / f"{doc_id}.toml"]
    existed = any(p.exists() for p in targets)
    if existed and not replace:
        raise IngestError(f"{targets[1]} already exists; pass --replace to overwrite it, or choose another --id")
    tmp = Path(tempfile.mkdtemp(prefix=".ingest-", dir=folder))
    moved: list[Path] = []
    try:
        new_txt, new_toml = tmp / targets[0].name, tmp / targets[1].name
        new_txt.write_text(text, encoding="utf-8", newline="\n")
        new_toml.write_text(to_toml(meta), encoding="utf-8", newline="\n")
        doc = load_document(new_toml)  # the seeds' validation, on the files as written
        found = inspect(doc) if inspect else None
        backup = tmp / "old"
        backup.mkdir()
        for p in targets:
            if p.exists():
                shutil.copy2(p, backup / p.name)
        for src, dst in ((new_txt, targets[0]), (new_toml, targets[1])):
            os.replace(src, dst)
            moved.append(dst)
        return load_document(targets[1]), existed, found
    except BaseException:
        # put back what was there (or remove what we added), then re-raise
        for dst in moved:
            old = tmp / "old" / dst.name
            if old.exists():
                os.replace(old, dst)
            else:
                dst.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- report


def analyse(doc: Document, others: list[Document] | None = None) -> dict:
    """Clauses and Q&As of ``doc`` as the build will see them, with numbering problems."""
    from ..corpus.clauses import segment
    from ..corpus.qa import extract

    clauses = segment(doc)
    qas = extract(doc, clauses)
    numbers = [q.number for q in qas if q.number is not None and (q.volume == doc.volume or not doc.volume)]
    gaps = [(a, b) for a, b in zip(numbers, numbers[1:]) if b != a + 1 and b > a]
    seen, dups = set(), []
    for n in numbers:
        if n in seen and n not in dups:
            dups.append(n)
        seen.add(n)
    unanswered = [f"問{q.number}" if q.number is not None else f"問 ({q.id})" for q in qas if not q.answer.strip()]
    warnings = []
    if doc.is_qa_volume and others:
        for o in others:
            if o.id != doc.id and o.is_qa_volume and o.volume == doc.volume and o.series == doc.series:
                warnings.append(f"{o.id} already carries Vol.{doc.volume}; its Q&As merge with this entry's")
    if doc.kind == "Q&A" and doc.volume and not qas:
        warnings.append("no 問 found: check the extracted text")
    return {
        "clauses": len(clauses), "qas": [q.id for q in qas], "numbers": numbers,
        "unnumbered": sum(1 for q in qas if q.number is None), "unanswered": unanswered,
        "gaps": gaps, "duplicates": dups, "warnings": warnings,
    }


def ingest(source: Source, meta: dict, corpus_dir: Path | str, *, replace: bool = False,
           proposed: list[str] | None = None) -> Report:
    """Validate, write and report one new corpus entry (``meta`` complete: see :func:`missing`)."""
    from ..corpus.documents import load_documents

    meta = check_metadata(meta)
    if gone := missing(meta):
        raise IngestError(f"missing --{gone[0]}")
    meta.setdefault("source_file", source.path.name)
    folder = documents_dir(corpus_dir)
    try:
        others = load_documents(Path(corpus_dir))
    except DataError as e:
        raise IngestError(f"the corpus does not load before ingest: {e}") from None
    try:
        doc, existed, found = write_entry(corpus_dir, meta, source.text, replace=replace,
                                          inspect=lambda d: analyse(d, others))
    except DataError as e:
        raise IngestError(str(e)) from None
    return Report(doc_id=doc.id, path=str(folder / f"{doc.id}.toml"), metadata=_meta_of(doc),
                  proposed=list(proposed or []), removed=source.removed, empty_pages=source.empty_pages,
                  replaced=existed, **found)


def _meta_of(doc: Document) -> dict:
    return {k: getattr(doc, k) for k in FIELDS}
