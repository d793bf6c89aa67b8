"""The site's downloads and browser index made with the previous build's output and state are
byte for byte those of a clean build, whatever changed in the corpus; unchanged downloads are
hard links to the previous build's files, which stay as they were."""
import shutil
from pathlib import Path

import pytest

from kb.search import units as units_mod
from kb.search.inputs import load_inputs
from kb.site.browser_index import write_browser_index
from kb.site.downloads import LINES, PIECES, STATE, write_exports
from kb.site.pages import SiteData

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"

VOL21_TOML = ('id = "tiny-qa-vol21"\ntitle = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）"\nkind = "Q&A"\n'
              'issuer = "厚生労働省老健局"\ndate = 2026-03-01\nseries = "令和６年度介護報酬改定に関するＱ＆Ａ"\nvolume = 21\n')
VOL21 = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）\n\n【介護老人福祉施設】\n○ 記録について\n{}"
NEW_RULING = "問１ 看取りの記録は電子媒体で保存してよいか。\n（答）\n差し支えない。\n"
ASKS_VOL20_Q1_AGAIN = ("【短期入所生活介護】\n○ 看取り連携体制加算について\n"
                       "問１ ショートステイの利用者について、看取り連携体制加算は算定できるか。\n（答）\n"
                       "算定できる。利用者の同意は文書で得ること。\n")


def _site(corpus: Path, root: Path, previous: Path | None = None) -> Path:
    """My two parts of the site (browser index, downloads) into ``root/site`` with state in
    ``root/state/site``, as the build lays them out; ``previous``: an earlier such root."""
    inputs = load_inputs(corpus)
    units = units_mod.build_units(inputs.corpus, inputs.rules, inputs.services)
    site, state = root / "site", root / "state" / "site"
    site.mkdir(parents=True)
    state.mkdir(parents=True)
    before = previous / "site" if previous else None
    choices = write_browser_index(site, units, inputs)
    data = SiteData.collect(inputs.corpus, units_mod.facets(units).services, rules=inputs.rules, services=inputs.services,
                            thesaurus=inputs.thesaurus, payload=choices)
    write_exports(site, data, previous=before, state=state)
    return site


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _same_as_clean(corpus: Path, tmp: Path, previous: Path, name: str) -> dict[str, bytes]:
    incremental = _files(_site(corpus, tmp / f"{name}-inc", previous))
    clean = _files(_site(corpus, tmp / f"{name}-clean"))
    assert sorted(incremental) == sorted(clean)
    assert [f for f in clean if incremental[f] != clean[f]] == [], f"{name}: incremental differs from clean"
    return incremental


def _vol21(corpus: Path, body: str) -> None:
    (corpus / "documents" / "tiny-qa-vol21.toml").write_text(VOL21_TOML, encoding="utf-8")
    (corpus / "documents" / "tiny-qa-vol21.txt").write_text(VOL21.format(body), encoding="utf-8")


@pytest.fixture
def tiny(tmp_path) -> tuple[Path, Path]:
    """A copy of the tiny corpus and its first build (my parts)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    first = tmp_path / "first"
    _site(corpus, first)
    return corpus, first


def test_unchanged_corpus_links_every_download_and_writes_the_same_bytes(tiny, tmp_path):
    corpus, first = tiny
    before = _files(first / "site")
    again = _same_as_clean(corpus, tmp_path, first, "same")
    assert again == before
    downloads = sorted((tmp_path / "same-inc" / "site" / "downloads").iterdir())
    assert downloads and all(p.stat().st_nlink > 1 for p in downloads)  # hard links to the first build's
    assert _files(first / "site") == before  # the previous build is untouched


@pytest.mark.parametrize("body", [NEW_RULING, ASKS_VOL20_Q1_AGAIN], ids=["new-volume", "asks-an-old-question-again"])
def test_a_new_volume_gives_the_clean_build(tiny, tmp_path, body):
    corpus, first = tiny
    before = _files(first / "site")
    _vol21(corpus, body)
    out = _same_as_clean(corpus, tmp_path, first, "vol21")
    assert "downloads/vol-r6-qa-21.csv" in out
    assert _files(first / "site") == before
    vol20 = tmp_path / "vol21-inc" / "site" / "downloads" / "vol-r6-qa-20.json"
    if body == NEW_RULING:  # the old volume's record did not change: linked, not written
        assert vol20.stat().st_nlink > 1
    else:  # 問1 asked again: the old volume's file names the newest ruling on it
        assert vol20.stat().st_nlink == 1
        assert '"newest": "r6-qa-vol21-q1"' in vol20.read_text(encoding="utf-8")


def test_a_workbook_edition_that_deletes_an_old_ruling_gives_the_clean_build(tiny, tmp_path):
    """MHLW's workbook: a ruling of Vol.21 deletes Vol.20 問2, a question asked in two notices,
    rulings filed by the workbook's サービス種別; then the next edition drops rows."""
    from kb.ingest.workbook import ingest_workbook
    from tests.test_workbook import ROWS
    from tests.workbooks import write_workbook

    corpus, first = tiny
    ingest_workbook(write_workbook(tmp_path / "wb.xlsx", ROWS), corpus)
    out = _same_as_clean(corpus, tmp_path, first, "workbook")
    vol20 = out["downloads/vol-r6-qa-20.json"].decode("utf-8")
    assert '"status": "削除"' in vol20
    ingest_workbook(write_workbook(tmp_path / "wb2.xlsx", ROWS[1:4]), corpus, replace_existing=True)
    _same_as_clean(corpus, tmp_path, tmp_path / "workbook-inc", "edition")


def test_an_edited_ruling_a_removed_document_and_changed_services_give_the_clean_build(tiny, tmp_path):
    corpus, first = tiny
    vol20 = corpus / "documents" / "tiny-qa-vol20.txt"
    vol20.write_text(vol20.read_text(encoding="utf-8").replace("介護記録に残すこと。", "介護記録に必ず残すこと。"),
                     encoding="utf-8")
    _same_as_clean(corpus, tmp_path, first, "edited")

    for p in (corpus / "documents").glob("tiny-notice.*"):
        p.unlink()
    _same_as_clean(corpus, tmp_path, tmp_path / "edited-inc", "removed")

    services = corpus / "services.toml"
    services.write_text(services.read_text(encoding="utf-8").replace('"ショート"]', '"ショート", "短期生活"]'),
                        encoding="utf-8")
    thesaurus = corpus / "thesaurus.toml"
    thesaurus.write_text(thesaurus.read_text(encoding="utf-8")
                         + '\n[[term]]\nkey = "記録"\ntargets = ["介護記録"]\nkind = "synonym"\n', encoding="utf-8")
    _same_as_clean(corpus, tmp_path, tmp_path / "removed-inc", "services")


def test_missing_or_damaged_state_builds_clean(tiny, tmp_path):
    corpus, first = tiny
    _vol21(corpus, NEW_RULING)
    (first / "state" / "site" / STATE / PIECES).write_bytes(b"\x80\x05not a pickle")
    _same_as_clean(corpus, tmp_path, first, "damaged")
    shutil.rmtree(first / "state")
    _same_as_clean(corpus, tmp_path, first, "missing")


def test_a_documents_lines_are_written_only_when_its_rulings_records_changed(tiny, tmp_path):
    """The state keeps each document's rulings' CSV lines in a file of its own: a new volume writes
    its own file and links the others' from the previous state (which stays as it was); a file that
    cannot be read costs its lines only, and the downloads are still the clean build's."""
    corpus, first = tiny
    lines = first / "state" / "site" / STATE / LINES
    before = {p.name: p.read_bytes() for p in lines.iterdir()}
    assert before  # the tiny corpus's volume's
    _vol21(corpus, NEW_RULING)
    _same_as_clean(corpus, tmp_path, first, "added")
    after = {p.name: p for p in (tmp_path / "added-inc" / "state" / "site" / STATE / LINES).iterdir()}
    assert set(before) < set(after)
    (new,) = set(after) - set(before)
    assert after[new].stat().st_nlink == 1
    assert all(after[name].samefile(lines / name) for name in before)  # linked, not written
    assert {p.name: p.read_bytes() for p in lines.iterdir()} == before
    for p in (tmp_path / "added-inc" / "state" / "site" / STATE / LINES).iterdir():
        if p.name != new:
            p.unlink()
            p.write_bytes(b"\x80\x05not a pickle")
            break
    _same_as_clean(corpus, tmp_path, tmp_path / "added-inc", "damaged-lines")


def test_changed_rules_give_the_clean_build(tmp_path):
    """The seed corpus (rules, amounts per service): a rule's amount changes every service file
    it applies to."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    _site(corpus, tmp_path / "first")
    rule = corpus / "rules" / "kyoryoku-iryokikan-renkei-kasan.toml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace('per = "月"\neffective_from = 2024-04-01', 'per = "月"\neffective_from = 2024-06-01', 1),
                    encoding="utf-8")
    before = (tmp_path / "first" / "site" / "downloads" / "service-tokuyo.csv").read_bytes()
    out = _same_as_clean(corpus, tmp_path, tmp_path / "first", "rules")
    assert out["downloads/service-tokuyo.csv"] != before and "令和6年6月1日" in out["downloads/service-tokuyo.csv"].decode()


def test_a_rulings_key_is_the_same_however_its_objects_are_shared():
    """A ruling parsed afresh and the same ruling loaded from the corpus memo share their strings
    differently: the key (what decides reuse) must not see that."""
    import io
    import pickle

    from kb.corpus.load import load_corpus
    from kb.corpus.records import source_dict
    from kb.site.downloads import record_key

    corpus = load_corpus(TINY)
    docs = {d.id: source_dict(d) for d in corpus.documents}

    def unshared(q):  # every object of q pickled on its own, so nothing is shared after loading
        out = io.BytesIO()
        p = pickle.Pickler(out, protocol=5)
        p.fast = True
        p.dump(q)
        return pickle.loads(out.getvalue())

    from kb.site.reuse import Digests

    digests = Digests()
    for q in corpus.qas:
        copy = unshared(q)
        assert copy == q and record_key(copy, corpus, docs, digests) == record_key(q, corpus, docs, Digests())


def test_the_whole_site_rendered_with_the_previous_one_is_the_clean_site(tiny, tmp_path):
    """Through render_site, as the build calls it: every file the same as a clean render."""
    from kb.search.analysed import Analysis, field_postings
    from kb.site.render import render_site

    def render(corpus: Path, root: Path, previous: Path | None = None) -> dict[str, bytes]:
        inputs = load_inputs(corpus)
        units = units_mod.build_units(inputs.corpus, inputs.rules, inputs.services)
        analysed = Analysis().add(units_mod.searchable_texts(units), workers=0)
        (root / "site").mkdir(parents=True)
        render_site(inputs, units, root / "site", analysed=analysed, fields=field_postings(units, analysed),
                    previous=previous / "site" if previous else None, state=root / "state" / "site")
        return _files(root / "site")

    corpus, _first = tiny
    render(corpus, tmp_path / "r1")
    _vol21(corpus, NEW_RULING)
    assert render(corpus, tmp_path / "r2", tmp_path / "r1") == render(corpus, tmp_path / "r2-clean")
