"""Corpus entries: a source text (as extracted, untouched) plus a TOML metadata file.

``corpus/documents/<id>.txt`` and ``corpus/documents/<id>.toml`` side by side.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..sources.files import DataError, load_toml, read_text
from .schema import ID_PATTERN, Field, as_iso, int_range, iso_date, validate

KINDS = ("告示", "通知", "事務連絡", "Q&A", "改定概要", "説明資料", "自治体資料", "団体通知", "法令")

DOCUMENT_SCHEMA: dict[str, Field] = {
    "id": Field(str, pattern=ID_PATTERN, help="lower-case ASCII, digits and '-', e.g. r6-kaigo-qa-vol16"),
    "title": Field(str, help="the title as printed"),
    "kind": Field(str, choices=KINDS, help=f"one of {', '.join(KINDS)}"),
    "issuer": Field(str, required=False, default="", help="who issued it; leave empty if not stated"),
    "date": Field((str, dt.date), required=False, default="", check=iso_date,
                  help="issue date, ISO (2024-07-05); leave empty if not stated"),
    "date_printed": Field(str, required=False, default="", help="the date as printed (令和6年7月5日)"),
    "url": Field(str, required=False, default="", pattern=r"https?://\S+",
                 help="official URL, http(s)://…"),
    "bulletin": Field(str, required=False, default="", pattern=r"介護保険最新情報\s*Vol\.\s*\d+",
                      help="the 介護保険最新情報 issue that sent it, e.g. 介護保険最新情報 Vol.1225"),
    "series": Field(str, required=False, default="",
                    help="Q&A series title, e.g. 令和６年度介護報酬改定に関するＱ＆Ａ"),
    "volume": Field(int, required=False, default=None, check=int_range(1, 999), help="Vol.N of a Q&A series"),
    "note": Field(str, required=False, default=""),
    "source_file": Field(str, required=False, default="", help="file the text came from"),
}


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    kind: str
    text: str
    issuer: str = ""
    date: str = ""  # ISO or ""
    date_printed: str = ""
    url: str = ""
    bulletin: str = ""  # 介護保険最新情報 Vol.1225
    series: str = ""
    volume: int | None = None
    note: str = ""
    source_file: str = ""

    @property
    def is_qa_volume(self) -> bool:
        return self.kind == "Q&A" and bool(self.series) and self.volume is not None


def load_document(meta_path: Path) -> Document:
    meta = validate(load_toml(meta_path), DOCUMENT_SCHEMA, meta_path)
    if meta["id"] != meta_path.stem:
        raise DataError(meta_path, "id", f"id {meta['id']!r} must equal the file name {meta_path.stem!r}")
    if meta["volume"] is not None and not meta["series"]:
        raise DataError(meta_path, "series", "a volume needs its series title")
    text_path = meta_path.with_suffix(".txt")
    if not text_path.exists():
        raise DataError(text_path, None, "text file missing; every .toml needs a .txt beside it")
    text = read_text(text_path)
    if not text.strip():
        raise DataError(text_path, None, "text file is empty")
    meta["date"] = as_iso(meta["date"])
    # (not where the files are: the same documents in a moved or renamed corpus folder are the same
    # to every cache and to the previous build's pages)
    return Document(text=text, **meta)


def load_documents(root: Path) -> list[Document]:
    """All documents under ``root/documents``, sorted by id; raise DataError on the first bad one."""
    folder = Path(root) / "documents"
    if not folder.is_dir():
        raise DataError(folder, None, "corpus folder has no documents/ directory")
    docs = [load_document(p) for p in sorted(folder.glob("*.toml"))]
    orphans = sorted(p for p in folder.glob("*.txt") if not p.with_suffix(".toml").exists())
    if orphans:
        raise DataError(orphans[0], None, "text without metadata; add a .toml beside it")
    return docs
