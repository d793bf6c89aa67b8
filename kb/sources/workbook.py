"""MHLW's workbook 介護サービスQ＆A集 (xlsx): its rows, cell text as printed.

The sheet and the columns are found by their header names in the first rows, in any
order, beside any extra columns and cover sheets. The service and standard cells are
written once and merged down over their rows in MHLW's layout: a blank cell in those
two columns carries the value above (the topic does not: a blank topic stays blank).
Read with openpyxl in read-only mode (values only, no formulas evaluated).
"""
from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .files import DataError, read_bytes

HEADER_ROWS = 30  # how far down the header row is looked for

# field -> how its header cell reads (NFKC, no spaces); the first form is the one named in messages
COLUMNS: dict[str, tuple[str, ...]] = {
    "service": ("サービス種別", "サービス種類"),
    "standard": ("基準種別",),
    "topic": ("項目",),
    "question": ("質問",),
    "answer": ("回答",),
    "issued": ("QA発出時期、文書番号等", "QA発出時期・文書番号等", "発出時期、文書番号等", "発出時期・文書番号等",
               "QA発出時期", "発出時期"),
}
OPTIONAL = {"number": ("番号", "No", "No.")}
CARRIED = ("service", "standard")  # merged down over their rows


class WorkbookError(Exception):
    """A workbook we cannot read; the message is one line for the user."""


@dataclass(frozen=True)
class Cells:
    """A row's cells as printed: サービス種別, 基準種別, 項目, 質問, 回答, QA発出時期・文書番号等, 番号."""
    service: str
    standard: str
    topic: str
    question: str
    answer: str
    issued: str
    number: str = ""


@dataclass(frozen=True)
class Row(Cells):
    sheet_row: int = 0  # 1-based row number in the sheet, for messages


@dataclass(frozen=True)
class Sheet:
    """The sheet of a workbook that holds the Q&A columns, read."""
    path: Path
    sheet: str
    title: str  # the first text in the sheet above the header (the workbook's title as printed)
    rows: tuple[Row, ...]
    skipped: tuple[int, ...] = ()  # sheet rows with text but neither question nor answer


def _key(value) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split()) if value is not None else ""


def _text(value) -> str:
    """A cell as printed: strings untouched, numbers without a trailing .0, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_map(row: tuple) -> dict[str, int]:
    """field -> column index for a candidate header row."""
    keys = [_key(v) for v in row]
    found: dict[str, int] = {}
    for field, forms in {**COLUMNS, **OPTIONAL}.items():
        wanted = {_key(f) for f in forms}
        for i, k in enumerate(keys):
            if k in wanted and i not in found.values():
                found[field] = i
                break
    return found


MAX_WORKBOOK_BYTES = 64 * 1024 * 1024  # MHLW's whole 介護サービスQ＆A集 is about 10 MB


def _open(path: Path):
    from openpyxl import load_workbook

    try:
        raw = read_bytes(path, MAX_WORKBOOK_BYTES)  # a regular file only: no FIFO, no /dev/zero
    except DataError as e:
        raise WorkbookError(str(e)) from None
    if not raw:
        raise WorkbookError(f"{path}: empty file; give MHLW's workbook as .xlsx")
    data = io.BytesIO(raw)
    if not zipfile.is_zipfile(data):
        raise WorkbookError(f"{path}: not an .xlsx workbook (an .xls or a damaged file? save it as .xlsx)")
    try:
        return load_workbook(data, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or encrypted package
        raise WorkbookError(f"{path}: cannot read this workbook ({type(e).__name__}: {e}); "
                            "open it in Excel and save it again as .xlsx without a password") from None


def read_workbook(path: Path | str) -> Sheet:
    """The rows of the first sheet that has the Q&A columns; WorkbookError otherwise."""
    path = Path(path)
    wb = _open(path)
    try:
        best: tuple[int, str, dict[str, int]] | None = None
        for ws in wb.worksheets:
            head = []
            for n, row in enumerate(ws.iter_rows(max_row=HEADER_ROWS, values_only=True), 1):
                head.append(row)
                cols = _header_map(row)
                if all(f in cols for f in COLUMNS):
                    return _rows(path, ws, n, cols, head)
                if best is None or len(cols) > len(best[2]):
                    best = (n, ws.title, cols)
        if best is None:
            raise WorkbookError(f"{path}: the workbook has no sheets")
        _, sheet, cols = best
        missing = [COLUMNS[f][0] for f in COLUMNS if f not in cols]
        raise WorkbookError(
            f"{path}: sheet '{sheet}': no column {'、'.join(missing)} in the first {HEADER_ROWS} rows; "
            f"a Q&A workbook needs the columns {' / '.join(f[0] for f in COLUMNS.values())}")
    finally:
        wb.close()


def _rows(path: Path, ws, header_row: int, cols: dict[str, int], head: list[tuple]) -> Sheet:
    title = next((_text(v).strip() for row in head[:header_row - 1] for v in row if _text(v).strip()), "")
    carried = {f: "" for f in CARRIED}
    rows: list[Row] = []
    skipped: list[int] = []
    for n, raw in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), header_row + 1):
        cell = {f: _text(raw[i]) if i < len(raw) else "" for f, i in cols.items()}
        for f in CARRIED:
            if cell[f].strip():
                carried[f] = cell[f]
            else:
                cell[f] = carried[f]
        if not cell["question"].strip() and not cell["answer"].strip():
            if any(_text(v).strip() for v in raw):
                skipped.append(n)
            continue
        rows.append(Row(sheet_row=n, **{f: cell.get(f, "") for f in (*COLUMNS, *OPTIONAL)}))
    return Sheet(path=path, sheet=ws.title, title=title or ws.title, rows=tuple(rows), skipped=tuple(skipped))
