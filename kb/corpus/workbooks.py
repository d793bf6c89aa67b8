"""MHLW's workbook 介護サービスQ＆A集 as stored in the corpus: reviewable text, one [[row]] a row.

``corpus/workbooks/<id>.toml`` holds one ingested edition: a ``[workbook]`` table (title,
sheet, the file it came from) and one ``[[row]]`` per workbook row with every cell as
printed (サービス種別, 基準種別, 項目, 質問, 回答, QA発出時期・文書番号等, 番号) and the id
of the ruling it carries. Rows are ordered by service, date and id, not by MHLW's row
order, so the diff between two editions shows what MHLW changed. :func:`dump` and
:func:`load_workbook` round-trip: the rows read back are the rows written.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..sources.files import DataError, load_toml
from ..sources.workbook import Cells
from .schema import ID_PATTERN, Field, validate

WORKBOOKS_DIR = "workbooks"

WORKBOOK_SCHEMA: dict[str, Field] = {
    "id": Field(str, pattern=ID_PATTERN, help="lower-case ASCII and '-', equal to the file name"),
    "title": Field(str, help="the workbook's title as printed"),
    "sheet": Field(str, required=False, default=""),
    "source_file": Field(str, required=False, default=""),
    "url": Field(str, required=False, default="", pattern=r"https?://\S+"),
    "note": Field(str, required=False, default=""),
}
ROW_SCHEMA: dict[str, Field] = {
    "id": Field(str, pattern=ID_PATTERN, help="the ruling's id (kaigo-kb ingest writes it)"),
    "service": Field(str, required=False, default="", help="サービス種別 as printed"),
    "standard": Field(str, required=False, default="", help="基準種別 as printed"),
    "topic": Field(str, required=False, default=""),
    "question": Field(str, help="質問 as printed"),
    "answer": Field(str, required=False, default=""),
    "issued": Field(str, required=False, default="", help="QA発出時期、文書番号等 as printed"),
    "number": Field(str, required=False, default=""),
}


@dataclass(frozen=True)
class WorkbookRow(Cells):
    """A stored row: its cells as printed and the id of the ruling it carries."""
    id: str = ""


@dataclass(frozen=True)
class Workbook:
    id: str
    title: str
    rows: tuple[WorkbookRow, ...]
    sheet: str = ""
    source_file: str = ""
    url: str = ""
    note: str = ""
    path: str = ""  # the file it was loaded from, for messages


def load_workbook(path: Path) -> Workbook:
    data = load_toml(path)
    if not isinstance(data.get("workbook", {}), dict):
        raise DataError(path, "workbook", "expected a [workbook] table")
    if not isinstance(data.get("row", []), list):
        raise DataError(path, "row", "expected [[row]] tables")
    meta = validate(data.get("workbook", {}), WORKBOOK_SCHEMA, path, prefix="workbook.")
    if meta["id"] != path.stem:
        raise DataError(path, "workbook.id", f"id {meta['id']!r} must equal the file name {path.stem!r}")
    extra = sorted(set(data) - {"workbook", "row"})
    if extra:
        raise DataError(path, extra[0], "unknown table; a workbook file holds [workbook] and [[row]]")
    rows = []
    for i, raw in enumerate(data.get("row", [])):
        if not isinstance(raw, dict):
            raise DataError(path, f"row[{i}]", "expected a table ([[row]])")
        rows.append(WorkbookRow(**validate(raw, ROW_SCHEMA, path, prefix=f"row[{i}].")))
    return Workbook(rows=tuple(rows), path=str(path), **meta)


def load_workbooks(root: Path | str) -> list[Workbook]:
    """Every stored workbook under ``root/workbooks``, by id (none when the folder is absent)."""
    folder = Path(root) / WORKBOOKS_DIR
    return [load_workbook(p) for p in sorted(folder.glob("*.toml"))] if folder.is_dir() else []


# --------------------------------------------------------------------------- writing


def _string(value: str) -> str:
    """A TOML string that reads back as ``value``: a multi-line literal string where the
    text allows (no escapes: the cell as printed), else a basic string with escapes."""
    literal_ok = "'''" not in value and not value.endswith("'") and not re.search(
        r"[\x00-\x08\x0b-\x1f\x7f]|\r(?!\n)", value)
    if "\n" in value and literal_ok:
        return "'''\n" + value + "'''"  # TOML drops the newline right after the opening quotes
    return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings


def dump(workbook: Workbook) -> str:
    """The TOML text of a workbook (what :func:`load_workbook` reads back)."""
    out = ["# MHLW 介護サービスQ＆A集, as ingested by kaigo-kb (one [[row]] per workbook row, cells as printed).",
           "# Re-ingest a new edition with: kaigo-kb ingest FILE.xlsx --replace", "", "[workbook]"]
    for name in WORKBOOK_SCHEMA:
        value = getattr(workbook, name)
        if value or name in ("id", "title"):
            out.append(f"{name} = {_string(value)}")
    for row in workbook.rows:
        out += ["", "[[row]]"]
        for name in ROW_SCHEMA:  # id first, then the cells in the workbook's column order
            value = getattr(row, name)
            if value or ROW_SCHEMA[name].required:
                out.append(f"{name} = {_string(value)}")
    return "\n".join(out) + "\n"
