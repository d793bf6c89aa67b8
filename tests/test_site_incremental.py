"""The site built on the previous one: each change to a small corpus, built on the previous
site, gives byte for byte the site a clean build gives, and the pages it leaves alone are
hard links to the previous build's files (kb/site/reuse.py)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kb.build import _prelink
from kb.search.inputs import load_inputs
from kb.search.units import build_units
from kb.site import render, reuse
from kb.site.render import TEMPLATES, render_site
from tests.workbooks import write_workbook

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"

RULE = '''id = "mitori-renkei-kasan"
name = "看取り連携体制加算"
kind = "介護報酬加算"
services = ["短期入所生活介護"]

[[requirements]]
text = "利用者の同意を得ること。"
source = "r6-qa-vol20-q1"
'''

VOL21 = '''id = "tiny-qa-vol21"
title = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）"
kind = "Q&A"
issuer = "厚生労働省老健局"
date = 2026-03-01
date_printed = "令和８年３月１日"
series = "令和６年度介護報酬改定に関するＱ＆Ａ"
volume = 21
''', '''令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）（令和８年３月１日）

【短期入所生活介護】
○ 看取り連携体制加算について
問１ ショートステイの利用者について、看取り連携体制加算は算定できるか。
（答）
算定できる。利用者の同意は書面で得ること。

【訪問介護】
○ 記録について
問２ 訪問介護の記録はいつまで保存するか。
（答）
完結の日から２年間保存すること。
'''

ISSUED = ("6.4.1\n事務連絡\n介護保険最新情報Vol.9999\n"
          "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.２２）（令和８年４月１日）」の送付について")
DELETING = [{"service": "18 短期入所生活介護事業", "standard": "4 報酬", "topic": "看取り連携体制加算",
             "question": "看取り連携体制加算の記録は、どこに残せばよいか。", "issued": ISSUED,
             "answer": "ケース記録に残すこと。\n※令和６年度介護報酬改定に関するＱ＆Ａ（Vol.２０）（令和８年１月15日）問２は削除する。"}]


PRELINK = [False]  # set by the fixture below: the previous pages linked ahead, as kb.build does


@pytest.fixture(autouse=True, params=[False, True], ids=["linked-by-the-plan", "prelinked"])
def prelinking(request):
    PRELINK[0] = request.param
    yield request.param
    PRELINK[0] = False


def build_site(corpus: Path, out: Path, previous: Path | None = None) -> Path:
    """The site stage as kb.build runs it: ``out``/site, its state in ``out``/state/site; with
    PRELINK, the previous site's pages linked first (kb.build._prelink) and the rest made
    from the units' facets (kb.build's child)."""
    from kb.search import analysis
    from kb.search.units import derive_units

    analysis.configure(None)  # the system dictionary alone: the same pages whatever ran before
    inputs = load_inputs(corpus)
    (out / "site").mkdir(parents=True)
    before, state = (previous / "site" if previous else None), out / "state" / "site"
    if PRELINK[0]:
        prelinked = _prelink(before, out) if before else None
        facets = derive_units(inputs.corpus, inputs.services).facets(inputs.corpus, inputs.rules, inputs.services)
        render_site(inputs, None, out / "site", previous=before, state=state, browser=False, facets=facets,
                    prelinked=prelinked)
        from kb.site.browser_index import write_browser_index

        write_browser_index(out / "site", build_units(inputs.corpus, inputs.rules, inputs.services), inputs)
    else:
        render_site(inputs, build_units(inputs.corpus, inputs.rules, inputs.services), out / "site",
                    previous=before, state=state)
    return out / "site"


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def linked(site: Path, previous: Path) -> set[str]:
    """The pages that are the previous build's files (hard links)."""
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")
            if (previous / p.relative_to(site)).exists() and p.samefile(previous / p.relative_to(site))}


@pytest.fixture
def corpus(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(TINY, dst)
    (dst / "rules").mkdir()
    (dst / "rules" / "mitori-renkei-kasan.toml").write_text(RULE, encoding="utf-8")
    return dst


def incremental_equals_clean(corpus: Path, tmp_path: Path, change) -> tuple[set[str], dict[str, bytes]]:
    """Build, apply ``change`` to the corpus, build on the previous site and clean: the same
    files. Returns the pages reused and the incremental site's files."""
    before = build_site(corpus, tmp_path / "a")
    change(corpus)
    kept = files(before)
    after = build_site(corpus, tmp_path / "b", previous=tmp_path / "a")
    assert files(before) == kept  # nothing of the previous build written (a page made again is a new file)
    clean = build_site(corpus, tmp_path / "c")
    got, want = files(after), files(clean)
    assert got.keys() == want.keys()
    assert [p for p in want if got[p] != want[p]] == []
    folders = lambda site: sorted(p.relative_to(site) for p in site.rglob("*") if p.is_dir())  # noqa: E731
    assert folders(after) == folders(clean)  # none left empty by a page gone
    return linked(after, before), got


def test_nothing_changed_every_page_reused(corpus, tmp_path):
    reused, got = incremental_equals_clean(corpus, tmp_path, lambda c: None)
    assert reused == {p for p in got if p.endswith(".html")}


def add_volume(c: Path) -> None:
    (c / "documents" / "tiny-qa-vol21.toml").write_text(VOL21[0], encoding="utf-8")
    (c / "documents" / "tiny-qa-vol21.txt").write_text(VOL21[1], encoding="utf-8")


@pytest.mark.parametrize("child", [False, True], ids=["one process", "half in a child"])
def test_a_new_volume_asking_an_old_question_again(corpus, tmp_path, monkeypatch, child):
    if child:  # as at scale: every other page to render in a forked child, its manifest merged
        monkeypatch.setattr(render, "CHILD_PAGES", 2)
    reused, got = incremental_equals_clean(corpus, tmp_path, add_volume)
    # the old ruling asked again now points to the newer one: rendered again, not reused
    assert "qa/r6-qa-vol20-q1.html" not in reused
    assert "r6-qa-vol21-q1.html" in got["qa/r6-qa-vol20-q1.html"].decode()
    # the home page (the data's date, the volumes) changes; a ruling nothing touched is reused
    assert "index.html" not in reused and "qa/r6-qa-vol20-q3.html" in reused
    assert "令和8年3月1日 時点のデータ" in got["index.html"].decode()


def test_a_workbook_deleting_an_old_ruling(corpus, tmp_path):
    from kb.ingest.workbook import ingest_workbook

    def delete(c: Path) -> None:
        ingest_workbook(write_workbook(tmp_path / "wb.xlsx", DELETING), c)

    reused, got = incremental_equals_clean(corpus, tmp_path, delete)
    old = got["qa/r6-qa-vol20-q2.html"].decode()
    assert "qa/r6-qa-vol20-q2.html" not in reused and "【削除】" in old
    assert "qa/r6-qa-vol20-q3.html" in reused


def test_an_edited_ruling(corpus, tmp_path):
    def edit(c: Path) -> None:
        p = c / "documents" / "tiny-qa-vol20.txt"
        p.write_text(p.read_text(encoding="utf-8").replace("介護記録に残すこと。", "ケース記録に残すこと。"),
                     encoding="utf-8")

    reused, got = incremental_equals_clean(corpus, tmp_path, edit)
    assert "ケース記録" in got["qa/r6-qa-vol20-q2.html"].decode() and "qa/r6-qa-vol20-q2.html" not in reused
    assert "qa/r6-qa-vol20-q1.html" in reused


def test_an_edited_document(corpus, tmp_path):
    """A document's page is keyed by the document's digest, not its clauses (kb.site.pages.Clauses):
    a clause edited in place makes the page again."""
    def edit(c: Path) -> None:
        p = c / "documents" / "tiny-notice.txt"
        p.write_text(p.read_text(encoding="utf-8").replace("月に１回以上", "月に２回以上"), encoding="utf-8")

    reused, got = incremental_equals_clean(corpus, tmp_path, edit)
    assert "月に２回以上" in got["docs/tiny-notice.html"].decode() and "docs/tiny-notice.html" not in reused
    assert "qa/r6-qa-vol20-q1.html" in reused


def test_a_removed_document(corpus, tmp_path):
    def remove(c: Path) -> None:
        (c / "documents" / "tiny-notice.toml").unlink()
        (c / "documents" / "tiny-notice.txt").unlink()

    reused, got = incremental_equals_clean(corpus, tmp_path, remove)
    assert "docs/tiny-notice.html" not in got and "docs/index.html" not in reused
    assert "qa/r6-qa-vol20-q1.html" in reused


def test_a_removed_volume_takes_its_folders_with_it(corpus, tmp_path):
    services = corpus / "services.toml"
    services.write_text(services.read_text(encoding="utf-8").replace(
        "[[group]]", '[[service]]\nid = "homon-kaigo"\nname = "訪問介護"\naliases = []\n\n[[group]]', 1), encoding="utf-8")
    add_volume(corpus)  # in the first build: its 訪問介護 ruling has a service folder of its own

    def remove(c: Path) -> None:
        (c / "documents" / "tiny-qa-vol21.toml").unlink()
        (c / "documents" / "tiny-qa-vol21.txt").unlink()

    reused, got = incremental_equals_clean(corpus, tmp_path, remove)
    gone = {p.rpartition("/")[0] for p in files(tmp_path / "a" / "site")} - {p.rpartition("/")[0] for p in got}
    assert gone  # (incremental_equals_clean: no folder of them left behind, empty)
    assert "qa/r6-qa-vol21-q1.html" not in got and "qa/r6-qa-vol20-q3.html" in reused


@pytest.mark.parametrize("what", ["thesaurus", "services", "rules"])
def test_changed_thesaurus_services_rules(corpus, tmp_path, what):
    def change(c: Path) -> None:
        if what == "thesaurus":
            p = c / "thesaurus.toml"
            p.write_text(p.read_text(encoding="utf-8") + '\n[[term]]\nkey = "ＳＳ"\ntargets = ["短期入所生活介護"]\n'
                         'kind = "abbrev"\n', encoding="utf-8")
        elif what == "services":
            p = c / "services.toml"
            p.write_text(p.read_text(encoding="utf-8").replace('"ショートステイ"', '"ショート"', 1), encoding="utf-8")
        else:
            p = c / "rules" / "mitori-renkei-kasan.toml"
            p.write_text(p.read_text(encoding="utf-8").replace('services = ["短期入所生活介護"]',
                                                               'services = ["介護老人福祉施設"]'), encoding="utf-8")

    before = files(build_site(corpus, tmp_path / "x"))
    reused, got = incremental_equals_clean(corpus, tmp_path, change)
    assert got != before  # the change shows somewhere


def test_a_damaged_state_builds_clean(corpus, tmp_path):
    def damage(c: Path) -> None:
        add_volume(c)
        for p in (tmp_path / "a" / "state" / "site").rglob("*"):  # the pages' and the downloads' state
            if p.is_file():
                p.write_bytes(p.read_bytes()[:20])

    reused, _ = incremental_equals_clean(corpus, tmp_path, damage)
    assert reused == set()


def test_a_page_missing_from_the_previous_site_is_made_again(corpus, tmp_path):
    def lose(c: Path) -> None:
        add_volume(c)
        (tmp_path / "a" / "site" / "qa" / "r6-qa-vol20-q3.html").unlink()

    reused, got = incremental_equals_clean(corpus, tmp_path, lose)
    assert "qa/r6-qa-vol20-q3.html" in got and "qa/r6-qa-vol20-q3.html" not in reused


def test_templates_ask_site_only_what_is_recorded():
    """Every ``site.x`` of every template is a SiteData method the recorder tracks (rendering
    through it raises on anything else, so the site tests would fail too)."""
    asked = {m for t in TEMPLATES.glob("*.html") for m in re.findall(r"\bsite\.(\w+)", t.read_text(encoding="utf-8"))}
    known = reuse.TEMPLATE_API | reuse.ATTRIBUTES | reuse.PURE
    assert asked and asked <= known, asked - known
    recorder = reuse.Recorder(reuse.Answers(object(), reuse.Digests()))
    for name in ("corpus", "links", "rules", "qas_of_service", "made"):
        with pytest.raises(reuse.NotRecorded):
            getattr(recorder, name)
    with pytest.raises(reuse.NotRecorded):  # an object as argument could not be asked again next time
        recorder.label(object())


def test_forms_tell_values_apart():
    d = reuse.Digests()
    assert d.form(1) != d.form(True) != d.form(1.0)
    assert d.form({"b", "a"}) == d.form({"a", "b"})
    assert d.form(["a"]) != d.form(("a",))


def test_a_chain_of_builds_each_the_clean_one(corpus, tmp_path):
    """Each build on the previous one: a volume replaced by another at each step, and one edited."""
    def volume(n: int):
        def change(c: Path) -> None:
            for old in (c / "documents").glob("tiny-qa-vol2[1-9]*"):
                old.unlink()
            meta, text = VOL21
            (c / "documents" / f"tiny-qa-vol{n}.toml").write_text(
                meta.replace("vol21", f"vol{n}").replace("volume = 21", f"volume = {n}").replace("Vol.21", f"Vol.{n}"),
                encoding="utf-8")
            (c / "documents" / f"tiny-qa-vol{n}.txt").write_text(text.replace("Vol.21", f"Vol.{n}"), encoding="utf-8")
        return change

    def edit(c: Path) -> None:
        (p,) = (c / "documents").glob("tiny-qa-vol2[1-9].txt")
        p.write_text(p.read_text(encoding="utf-8").replace("２年間", "５年間"), encoding="utf-8")

    build_site(corpus, tmp_path / "0")
    for n, (change, vol) in enumerate([(volume(21), 21), (volume(22), 22), (edit, 22), (volume(23), 23)], 1):
        change(corpus)
        before = files(tmp_path / str(n - 1) / "site")
        got = files(build_site(corpus, tmp_path / str(n), previous=tmp_path / str(n - 1)))
        assert files(tmp_path / str(n - 1) / "site") == before
        want = files(build_site(corpus, tmp_path / f"clean{n}"))
        assert got.keys() == want.keys() and [p for p in want if got[p] != want[p]] == [], n
        assert [p for p in got if re.fullmatch(r"qa/r6-qa-vol2[1-9]-q1\.html", p)] == [f"qa/r6-qa-vol{vol}-q1.html"]
