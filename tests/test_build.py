"""The build: one pass over corpus, units and analysis, handed to the index and the site."""
from collections import Counter
from pathlib import Path

from kb.build import BuildFailed, build
from kb.search import analysis, units

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


def test_the_build_computes_units_and_their_analysis_once(tmp_path, monkeypatch):
    made: list[list] = []
    real_build_units = units.build_units

    def counting_build_units(*args, **kwargs):
        made.append(real_build_units(*args, **kwargs))
        return made[-1]

    analysed: Counter = Counter()
    real_chunks = analysis._chunks

    def counting_chunks(text):  # called once each time Sudachi really analyses a text
        analysed[text] += 1
        return real_chunks(text)

    monkeypatch.setattr(units, "build_units", counting_build_units)
    monkeypatch.setattr(analysis, "_chunks", counting_chunks)
    build(TINY, tmp_path / "build", site=True)

    assert len(made) == 1
    texts = [t for t in units.searchable_texts(made[0]) if t]
    assert texts
    twice = {t: analysed[t] for t in texts if analysed[t] != 1}
    assert twice == {}, "a unit text was analysed more than once (or never)"
    assert (tmp_path / "build" / "site" / "search-index.js").exists()


def test_outside_the_build_tokenize_analyses_afresh():
    text = "協力医療機関連携加算の算定"
    fresh = analysis.tokenize(text)
    with analysis.using({text: []}):
        assert analysis.tokenize(text) == []
    assert analysis.tokenize(text) == fresh


def test_an_error_while_indexing_in_the_background_fails_the_build_and_keeps_the_last_one(tmp_path, monkeypatch):
    import pytest

    from kb.search import index

    out = tmp_path / "build"
    build(TINY, out, site=False)
    before = sorted(p.name for p in (out / "index").iterdir())

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(index, "write_index", broken)
    with pytest.raises(BuildFailed, match="disk full"):
        build(TINY, out, site=True)
    assert sorted(p.name for p in (out / "index").iterdir()) == before
    assert not (out / "site").exists()
    assert not list(tmp_path.glob(".build.tmp-*"))
