"""Writing workbooks in MHLW's 介護サービスQ＆A集 layout for tests (hand-made rows, or the real
rows read from ../shared at run time: never committed)."""
from __future__ import annotations

from pathlib import Path

HEADERS = {"service": "サービス種別", "standard": "基準種別", "topic": "項目", "question": "質問", "answer": "回答",
           "issued": "QA発出時期、文書番号等", "number": "番号"}
ORDER = ("service", "standard", "topic", "question", "answer", "issued", "number")


def write_workbook(path: Path, rows: list[dict], *, order=ORDER, merged: bool = True, cover: bool = False,
                   extra_column: str | None = None, drop: tuple[str, ...] = (), title="介護サービス関係Ｑ＆Ａ集",
                   sheet="介護サービスQ＆A集（テスト版）") -> Path:
    """``rows``: dicts with the keys of HEADERS. ``merged``: service and standard written once
    per block and merged down (MHLW's layout); else written on every row."""
    from openpyxl import Workbook

    wb = Workbook()
    if cover:
        wb.active.title = "表紙"
        wb.active["A1"] = "介護サービスQ＆A集"
        wb.active["A3"] = "この資料は…（表紙）"
        ws = wb.create_sheet(sheet)
    else:
        ws = wb.active
        ws.title = sheet
    cols = [c for c in order if c not in drop]
    header = [HEADERS[c] for c in cols] + ([extra_column] if extra_column else [])
    ws.append([title] + [None] * (len(header) - 1))
    ws.append([None] * len(header))
    ws.append(header)
    first_row = 4
    last: dict[str, str] = {}
    starts: dict[str, int] = {}
    for n, row in enumerate(rows, first_row):
        values = []
        for c in cols:
            value = row.get(c, "")
            if merged and c in ("service", "standard"):
                block = (row.get("service", ""), row.get("standard", "")) if c == "standard" else row.get("service", "")
                if last.get(c) == block:
                    value = None
                else:
                    if c in starts and n - 1 > starts[c]:
                        _merge(ws, cols.index(c), starts[c], n - 1)
                    last[c], starts[c] = block, n
            values.append(value if value != "" else None)
        if extra_column:
            values.append(f"備考{n}")
        ws.append(values)
    end = first_row + len(rows) - 1
    for c in ("service", "standard"):
        if merged and c in starts and c in cols and end > starts[c]:
            _merge(ws, cols.index(c), starts[c], end)
    wb.save(path)
    return path


def _merge(ws, col: int, top: int, bottom: int) -> None:
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col + 1)
    ws.merge_cells(f"{letter}{top}:{letter}{bottom}")


def real_rows(path: Path) -> list[dict]:
    """The rows of ../shared/real/qa-shu.json in the keys above."""
    import json

    out = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        out.append({"service": r["service_label"], "standard": r["standard_label"], "topic": r["topic"],
                    "question": r["question"], "answer": r["answer"], "issued": r["issued_source"],
                    "number": r["number"]})
    return out
