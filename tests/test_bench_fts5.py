"""bench/fts5.py: the SQLite FTS5 baseline indexes the same units with the same Sudachi terms and
answers a query from them (bench/run.py times it beside kaigo-kb)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import fts5  # noqa: E402


def test_the_fts5_baseline_indexes_the_units_and_finds_by_sudachi_terms(tmp_path):
    out = tmp_path / "fts5"
    out.mkdir()
    timings = fts5.index(ROOT / "tests" / "fixtures" / "tiny", out)
    assert timings["units"] > 3 and timings["index_seconds"] >= 0 and (out / fts5.DB).exists()
    s = fts5.Searcher(out)
    try:
        hits = s.search("看取り 記録", limit=5)
        assert hits and all("id" in h for h in hits)
        assert any("看取り" in h.get("text", "") for h in hits)
        assert s.search("、。") == []  # no terms: nothing to match
    finally:
        s.close()
