"""bench/synth_workbook.py: the synthetic 介護サービスQ＆A集 workbook has the real layout, the asked row
count, merged service/standard cells, amendment notes and repeated questions, and is deterministic."""
import re
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import SHARED

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import synth_workbook  # noqa: E402

REAL_JSON = SHARED / "real" / "qa-shu.json"


def _read(path):
    """(sheet names, header row number, data rows as tuples, merged ranges) of a workbook."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 10) if [c.value for c in ws[r]][:2] == ["サービス種別", "基準種別"])
    assert [c.value for c in ws[header]] == synth_workbook.HEADER
    rows = [r for r in ws.iter_rows(min_row=header + 1, values_only=True) if r[3]]
    return wb.sheetnames, header, rows, [str(m) for m in ws.merged_cells.ranges]


def _generate(path, rows, **kw):
    synth_workbook.write_workbook(synth_workbook.make_rows(rows, **kw), path)
    return _read(path)


def test_seed_corpus_workbook(tmp_path):
    """Without the real rows: 200 rows from the seed corpus, in the real layout, same seed same bytes."""
    sheets, header, rows, merged = _generate(tmp_path / "a.xlsx", 200, seed=7)
    assert sheets == [synth_workbook.SHEET] and header == 3 and len(rows) == 200
    assert any(m.startswith("A") for m in merged) and any(m.startswith("B") for m in merged)
    services = [r[0] for r in rows if r[0]]  # written once per block, the rest of the block merged
    assert len(services) == len(set(services)) and "99 テスト事業" in services
    assert all(r[3] and r[4] and r[5] for r in rows)
    notes = [r for r in rows if re.match(r"※.*問\d+(、問\d+)?(は削除する|の修正|を一部修正した)。$", r[4].splitlines()[-1])]
    assert notes
    sources = {}
    for r in rows:
        sources.setdefault(r[3], set()).add(r[5])
    assert any(len(s) > 1 for s in sources.values()), "no question asked again under another source"

    assert _generate(tmp_path / "b.xlsx", 200, seed=7)[2] == rows
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert _generate(tmp_path / "c.xlsx", 200, seed=8)[2] != rows


@pytest.mark.skipif(not REAL_JSON.exists(), reason="../shared/real/qa-shu.json not present")
def test_real_rows_kept(tmp_path):
    """With the real rows: every real question is in the workbook, the rest spread over other codes."""
    real = synth_workbook.load_real(REAL_JSON)
    _, _, rows, merged = _generate(tmp_path / "r.xlsx", len(real) + 150, kept=real)
    assert len(rows) == len(real) + 150
    questions = {r[3] for r in rows}
    assert all(r.question in questions for r in real)
    codes = {int(re.match(r"\d+", unicodedata.normalize("NFKC", r[0]))[0]) for r in rows if r[0]}
    assert {1, 2, 6, 16} < codes and len(codes) > 10
    assert any(m.startswith("A") for m in merged) and any(m.startswith("B") for m in merged)
    with pytest.raises(ValueError, match="real rows"):
        synth_workbook.make_rows(len(real) - 1, kept=real)
