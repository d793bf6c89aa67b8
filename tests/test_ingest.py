"""kaigo-kb ingest: PDFs the tests make themselves (tests/pdfgen.py), ingested into a copy of the corpus."""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import commands as cli
from kb.cli import main
from kb.corpus.load import load_corpus
from kb.corpus.refs import parse_reference
from kb.ingest.document import IngestError, check_metadata, propose, read_source
from kb.sources.pdf import Line, filter_pages, filter_text, is_page_number
from tests.pdfgen import VOL17_PAGES, VOL17_QUESTIONS, make_image_pdf, make_pdf

ROOT = Path(__file__).resolve().parent.parent
FURNITURE = re.compile(r"^\s*-\s*\d+\s*-\s*$|^令和６年度介護報酬改定に関するＱ＆Ａ（Vol\.17）$", re.M)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pdfs")
    rnd = random.Random(17)
    files = {
        "vol17": make_pdf(d / "vol17.pdf", VOL17_PAGES),
        "image": make_image_pdf(d / "scan.pdf"),
        "encrypted": make_pdf(d / "locked.pdf", VOL17_PAGES, encrypt="secret"),
    }
    files["binary"] = d / "random.pdf"
    files["binary"].write_bytes(bytes(rnd.randrange(256) for _ in range(4096)))
    files["binary_txt"] = d / "random.txt"
    files["binary_txt"].write_bytes(bytes(rnd.randrange(256) for _ in range(4096)))
    files["cp932"] = d / "sjis.txt"
    files["cp932"].write_bytes("事務連絡\n令和７年10月１日\n問１　算定できるか。\n（答）\n算定できる。\n".encode("cp932"))
    return files


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", dst)
    return dst


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def ingest_vol17(pdfs, corpus_dir, *extra):
    return run("ingest", pdfs["vol17"], "--corpus", corpus_dir, "--yes", *extra)


# --------------------------------------------------------------------------- extraction


def test_pdf_text_keeps_order_and_drops_furniture(pdfs):
    src = read_source(pdfs["vol17"])
    assert src.kind == "pdf" and src.pages == 3
    assert not FURNITURE.search(src.text), src.text
    assert "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）（令和７年10月1日）" in src.text  # the title stays
    # 問 5 / question / 答 5 in printed order (pdfminer's layout analysis swaps these)
    assert re.search(r"問 5\n特別養護老人ホーム[^\n]*\n答 5\n算定できる。", src.text)
    # the question over the page break runs on without the header and page number in between
    assert "いることを前提として、\n事業所ごとに判断してよいか。" in src.text
    assert len(src.removed) == 6


@pytest.mark.parametrize("text", ["- 3 -", "－３－", "３", "3/10", "（12）", "- 12 -", "p. 4", "5頁"])
def test_page_numbers(text):
    assert is_page_number(text)


@pytest.mark.parametrize("text", ["問３", "３．算定要件", "- 注意 -", "令和７年", "250単位"])
def test_not_page_numbers(text):
    assert not is_page_number(text)


def test_filter_keeps_repeated_answer_markers():
    pages = [[Line("（答）"), Line("本文一。"), Line("- 1 -")], [Line("（答）"), Line("本文二。"), Line("- 2 -")]]
    kept, removed = filter_pages(pages)
    assert [ln.text for p in kept for ln in p] == ["（答）", "本文一。", "（答）", "本文二。"]
    assert removed == ["p1: - 1 -", "p2: - 2 -"]


def test_cover_sheet_dropped():
    cover = [Line(s) for s in ("介護保険最新情報", "Vol.1400", "令和７年10月１日", "厚生労働省老健局",
                               "今回の内容", "計５枚（本紙を除く）", "連絡先　TEL：03-5253-1111")]
    body = [Line("問１　算定できるか。"), Line("（答）"), Line("できる。")]
    kept, removed = filter_pages([cover, body])
    assert kept == [[], body] and removed[0].startswith("p1: 介護保険最新情報")


def test_text_with_form_feeds_filtered():
    header = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）"
    text = f"{header}\n問１　できるか。\n- 1 -\f{header}\nまた、どうか。\n（答）\nできる。\n- 2 -\f"
    ex = filter_text(text)
    assert ex.text == "問１　できるか。\nまた、どうか。\n（答）\nできる。\n"


def test_propose_reads_title_date_volume(pdfs):
    meta = propose(read_source(pdfs["vol17"]).text)
    assert meta["series"] == "令和６年度介護報酬改定に関するＱ＆Ａ" and meta["volume"] == 17
    assert meta["kind"] == "Q&A" and meta["date"] == "2025-10-01" and meta["date_printed"] == "令和７年10月1日"
    assert meta["title"].startswith("令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）")


def test_propose_ignores_a_quoted_volume():
    text = "入院時の情報提供について\n\n「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」より\n問127　…\n"
    assert "volume" not in propose(text)


def test_check_metadata_messages():
    assert check_metadata({"date": "令和7年10月1日"})["date"] == "2025-10-01"
    for bad, option in (({"date": "10/1"}, "--date"), ({"kind": "QA"}, "--kind"), ({"id": "Vol 17"}, "--id"),
                        ({"volume": 17}, "--vol")):
        with pytest.raises(IngestError, match=option):
            check_metadata(bad)


# --------------------------------------------------------------------------- round trip


def test_round_trip(pdfs, corpus_dir):
    before = {p.name for p in (corpus_dir / "documents").iterdir()}
    r = ingest_vol17(pdfs, corpus_dir)
    assert r.exit_code == 0, r.output
    assert "5 Q&As" in r.output and "問: 1 2 3 4 5" in r.output
    after = {p.name for p in (corpus_dir / "documents").iterdir()}
    assert after - before == {"r6-kaigo-qa-vol17.txt", "r6-kaigo-qa-vol17.toml"}  # no temp left behind

    c = load_corpus(corpus_dir)
    doc = c.docs_by_id["r6-kaigo-qa-vol17"]
    assert doc.is_qa_volume and doc.volume == 17 and doc.date == "2025-10-01" and doc.kind == "Q&A"
    vol = [q for q in c.qas if q.series_id == "r6-qa" and q.volume == 17]
    assert [q.number for q in vol] == [1, 2, 3, 4, 5]
    for q in vol:
        in_q, in_a = VOL17_QUESTIONS[q.number]
        assert q.id == f"r6-qa-vol17-q{q.number}" and q.source_doc == doc.id
        assert in_q in q.question and in_a in q.answer and in_a not in q.question, q
        assert "答" not in q.question
    q3 = c.qas_by_id["r6-qa-vol17-q3"]
    assert q3.question.startswith("短期入所生活介護") and q3.question.endswith("事業所ごとに判断してよいか。")
    assert q3.service == "短期入所系サービス" and q3.topic == "協力医療機関連携加算について"
    for cl in c.clauses_of(doc.id):
        assert not FURNITURE.search(cl.display), cl
    ref = parse_reference("Vol.17 問3")
    hits = [q for q in c.qas if q.volume == ref.volume and q.number == ref.number
            and (ref.series_id is None or q.series_id == ref.series_id)]
    assert [q.id for q in hits] == ["r6-qa-vol17-q3"]
    # the seeds still load and keep their Q&As
    assert "r6-qa-vol1-q127" in c.qas_by_id


def test_report_json(pdfs, corpus_dir):
    r = ingest_vol17(pdfs, corpus_dir, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["kind"] == "ingest" and "bulletin" not in rep["proposed"]
    assert rep["numbers"] == [1, 2, 3, 4, 5] and rep["gaps"] == [] and rep["duplicates"] == []
    assert rep["unanswered"] == [] and rep["metadata"]["volume"] == 17
    assert {"id", "series", "volume", "kind", "date", "title"} <= set(rep["proposed"])


COVER = ["介護保険最新情報", "", "Ｖｏｌ．１４００", "令和７年10月１日", "厚生労働省老健局高齢者支援課", "",
         "今回の内容", "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）の送付について",
         "計５枚（本紙を除く）", "連絡先　ＴＥＬ：03-5253-1111（内線3971）"]


def test_the_bulletin_number_of_the_cover_sheet_is_kept(tmp_path, corpus_dir):
    pdf = make_pdf(tmp_path / "vol17-with-cover.pdf", [COVER, *VOL17_PAGES])
    r = run("ingest", pdf, "--corpus", corpus_dir, "--yes", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["kind"] == "ingest" and rep["metadata"]["bulletin"] == "介護保険最新情報 Vol.1400"
    assert "bulletin" in rep["proposed"] and rep["numbers"] == [1, 2, 3, 4, 5]
    toml = (corpus_dir / "documents" / "r6-kaigo-qa-vol17.toml").read_text(encoding="utf-8")
    assert 'bulletin = "介護保険最新情報 Vol.1400"' in toml
    assert load_corpus(corpus_dir).docs_by_id["r6-kaigo-qa-vol17"].bulletin == "介護保険最新情報 Vol.1400"


def test_bulletin_given_or_read_from_a_text_head():
    assert check_metadata({"bulletin": "Vol.１４００"})["bulletin"] == "介護保険最新情報 Vol.1400"
    assert check_metadata({"bulletin": "1225"})["bulletin"] == "介護保険最新情報 Vol.1225"
    with pytest.raises(IngestError, match="--bulletin"):
        check_metadata({"bulletin": "最新情報"})
    assert propose("介護保険最新情報 vol.941\n事務連絡\n")["bulletin"] == "介護保険最新情報 Vol.941"
    assert "bulletin" not in propose("事務連絡\n令和７年10月１日\n")


def test_report_gaps_duplicates_unanswered(tmp_path, corpus_dir):
    src = tmp_path / "vol18.txt"
    src.write_text(
        "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.18）（令和７年11月４日）\n\n"
        "【訪問系サービス】\n○　テストについて\n"
        "問１　質問一か。\n（答）\n回答一。\n"
        "問２　質問二か。\n"
        "問４　質問四か。\n（答）\n回答四。\n"
        "問４　質問四の重複か。\n（答）\n回答四の重複。\n", encoding="utf-8")
    r = run("ingest", src, "--corpus", corpus_dir, "--yes", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["doc_id"] == "r6-kaigo-qa-vol18"
    assert rep["numbers"] == [1, 2, 4, 4]
    assert rep["gaps"] == [[2, 4]] and rep["duplicates"] == [4] and rep["unanswered"] == ["問2"]
    text = run("ingest", src, "--corpus", corpus_dir, "--yes", "--replace").output
    assert "問2 has no answer" in text and "gap: 問2 then 問4" in text and "問4 appears more than once" in text


def test_replace(pdfs, corpus_dir):
    assert ingest_vol17(pdfs, corpus_dir).exit_code == 0
    r = ingest_vol17(pdfs, corpus_dir, "--replace", "--url", "https://www.mhlw.go.jp/content/vol17.pdf")
    assert r.exit_code == 0 and r.output.startswith("replaced r6-kaigo-qa-vol17")
    assert 'url = "https://www.mhlw.go.jp/content/vol17.pdf"' in (
        corpus_dir / "documents" / "r6-kaigo-qa-vol17.toml").read_text(encoding="utf-8")


def test_given_options_override_the_text(pdfs, corpus_dir):
    r = ingest_vol17(pdfs, corpus_dir, "--id", "mhlw-qa-17", "--date", "令和7年10月2日", "--issuer", "厚生労働省")
    assert r.exit_code == 0, r.output
    doc = load_corpus(corpus_dir).docs_by_id["mhlw-qa-17"]
    assert doc.date == "2025-10-02" and doc.date_printed == "令和7年10月2日" and doc.issuer == "厚生労働省"


# --------------------------------------------------------------------------- refusals leave the corpus alone


@pytest.mark.parametrize("case, message", [
    ("image", r"no text layer .*OCR is needed and kaigo-kb does not do OCR"),
    ("binary", r"not a PDF"),
    ("binary_txt", r"binary file|not UTF-8"),
    ("encrypted", r"encrypted"),
    ("cp932", r"CP932/Shift_JIS-encoded, not UTF-8"),
    ("again", r"already exists; pass --replace"),
    ("missing", r"^Error: missing --id"),
    ("nofile", r"no such file"),
])
def test_refused_with_one_line_and_corpus_unchanged(case, message, pdfs, corpus_dir, tmp_path):
    if case == "again":
        assert ingest_vol17(pdfs, corpus_dir).exit_code == 0
    before = tree_hash(corpus_dir)
    if case in ("again",):
        r = ingest_vol17(pdfs, corpus_dir)
    elif case == "missing":
        plain = tmp_path / "plain.txt"
        plain.write_text("問１　算定できるか。\n（答）\n算定できる。\n", encoding="utf-8")
        r = run("ingest", plain, "--corpus", corpus_dir)  # CliRunner's stdin is not a terminal
    elif case == "nofile":
        r = run("ingest", tmp_path / "nothing.pdf", "--corpus", corpus_dir, "--yes")
    else:
        r = run("ingest", pdfs[case], "--corpus", corpus_dir, "--yes", "--id", "x-doc", "--title", "x",
                "--kind", "事務連絡")
    assert r.exit_code == 1
    assert len(r.output.strip().splitlines()) == 1, r.output
    assert re.search(message, r.output), r.output
    assert "Traceback" not in r.output
    assert tree_hash(corpus_dir) == before


def test_interrupted_write_rolls_back(pdfs, corpus_dir, monkeypatch):
    before = tree_hash(corpus_dir)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # after the .txt is in place, before the .toml
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    r = CliRunner().invoke(main, ["ingest", str(pdfs["vol17"]), "--corpus", str(corpus_dir), "--yes"])
    monkeypatch.setattr(os, "replace", real)
    assert r.exit_code == 1 and "Aborted" in r.output  # click turns Ctrl-C into Abort
    assert tree_hash(corpus_dir) == before


def test_interrupted_replace_restores_old_entry(pdfs, corpus_dir, monkeypatch):
    assert ingest_vol17(pdfs, corpus_dir).exit_code == 0
    before = tree_hash(corpus_dir)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    r = CliRunner().invoke(main, ["ingest", str(pdfs["vol17"]), "--corpus", str(corpus_dir), "--yes",
                                  "--replace", "--note", "new"], catch_exceptions=False)
    monkeypatch.setattr(os, "replace", real)
    assert r.exit_code == 1 and r.output == "Error: No space left on device\n"  # one line, no traceback
    assert tree_hash(corpus_dir) == before


def test_asks_for_what_it_cannot_read(corpus_dir, tmp_path, monkeypatch):
    plain = tmp_path / "plain.txt"
    plain.write_text("問１　算定できるか。\n（答）\n算定できる。\n", encoding="utf-8")
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    r = run("ingest", plain, "--corpus", corpus_dir, input="city-reply-1\n静岡市照会への回答\n事務連絡\n")
    assert r.exit_code == 0, r.output
    doc = load_corpus(corpus_dir).docs_by_id["city-reply-1"]
    assert doc.title == "静岡市照会への回答" and doc.kind == "事務連絡" and doc.date == ""
    # --yes never asks
    r = run("ingest", plain, "--corpus", corpus_dir, "--yes", "--id", "city-reply-2")
    assert r.exit_code == 1 and "missing --title" in r.output


def test_help_has_example():
    r = run("ingest", "--help")
    assert r.exit_code == 0 and "Example:" in r.output and "kaigo-kb ingest" in r.output


# --------------------------------------------------------------------------- end to end


def test_build_and_search_by_reference(pdfs, corpus_dir, tmp_path):
    from kb.build import build
    from kb.site.paths import qa_path

    assert ingest_vol17(pdfs, corpus_dir).exit_code == 0
    build(corpus_dir, tmp_path / "build")
    r = run("search", "Vol.17 問3", "--json", "--build-dir", tmp_path / "build")
    assert r.exit_code == 0, r.output
    hits = json.loads(r.output)["hits"]
    assert hits and hits[0]["id"] == "r6-qa-vol17-q3", hits[:3]
    # and on the site: its own page, the volume index, the browser index
    site = tmp_path / "build" / "site"
    page = (site / qa_path("r6-qa-vol17-q3")).read_text(encoding="utf-8")
    assert "（Vol.17）" in page and "問3" in page
    assert "Vol.17" in (site / "volumes.html").read_text(encoding="utf-8")
    assert '"r6-qa-vol17-q3"' in (site / "search-index.js").read_text(encoding="utf-8")


def test_propose_jimu_renraku_letterhead():
    text = ("事務連絡\n令和6年7月5日\n都道府県\n各 指定都市 介護保険担当主管部（局） 御中\n中核市\n"
            "厚生労働省老健局 高齢者支援課\n厚生労働省老健局 老人保健課\n"
            "令和6年度介護報酬改定等における高齢者施設等と医療\n機関との連携等に係る内容の周知及び協力について\n"
            "平素より、厚生労働行政の推進につきまして、御協力を賜り厚く御礼申し上げます。\n")
    meta = propose(text)
    assert meta == {
        "kind": "事務連絡", "date": "2024-07-05", "date_printed": "令和6年7月5日",
        "issuer": "厚生労働省老健局 高齢者支援課、厚生労働省老健局 老人保健課",
        "title": "令和6年度介護報酬改定等における高齢者施設等と医療機関との連携等に係る内容の周知及び協力について",
    }


def test_numbered_list_inside_answer_stays_in_the_qa(tmp_path, corpus_dir):
    src = tmp_path / "vol18.txt"
    src.write_text("令和６年度介護報酬改定に関するＱ＆Ａ（Vol.18）（令和７年11月４日）\n"
                   "【訪問系サービス】\n○　テストについて\n"
                   "問１　算定要件は何か。\n（答）\n以下のとおりである。\n"
                   "１．利用者の同意を得ていること。\n２．計画を作成していること。\n"
                   "問２　併算定できるか。\n（答）\nできない。\n", encoding="utf-8")
    assert run("ingest", src, "--corpus", corpus_dir, "--yes").exit_code == 0
    q1 = load_corpus(corpus_dir).qas_by_id["r6-qa-vol18-q1"]
    assert "計画を作成していること。" in q1.answer
