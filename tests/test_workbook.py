"""MHLW's workbook 介護サービスQ＆A集: reading, notices, amendments, storing, merging, ingest.

Hand-made rows (written here, in the workbook's layout) test each behaviour; the real
rows in ../shared/real (never committed) test that the whole edition comes in."""
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.corpus.amendments import amended_by_in, amendments_in
from kb.corpus.dates import short_wareki
from kb.corpus.load import load_corpus
from kb.corpus.notices import parse_notices
from kb.corpus.workbooks import dump, load_workbook
from kb.ingest.document import IngestError
from kb.ingest.workbook import ingest_workbook
from kb.sources.workbook import WorkbookError, read_workbook
from tests.conftest import REAL_JSON, REAL_XLSX, ROOT
from tests.workbooks import real_rows, write_workbook

TINY = ROOT / "tests" / "fixtures" / "tiny"

VOL21 = "6.4.1\n事務連絡\n介護保険最新情報Vol.9999\n「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.２１）（令和８年４月１日）」の送付について"
OLD = "30.3.22\n事務連絡\n介護保険最新情報vol.629\n「平成30年度介護報酬改定に関するQ&A（vol.1）（平成30年3月22日）」の送付について"
NOTE = "12.3.31事務連絡\n介護保険最新情報vol.59\nその他の日常生活費に係るQ&Aについて"
ROWS = [
    {"service": "18 短期入所生活介護事業", "standard": "4 報酬", "topic": "看取り連携体制加算",
     "question": "看取り連携体制加算の記録は、どこに残せばよいか。", "issued": VOL21,
     "answer": "ケース記録に残すこと。\n※令和６年度介護報酬改定に関するＱ＆Ａ（Vol.２０）（令和８年１月15日）問２は削除する。"},
    {"service": "", "standard": "", "topic": "看取り連携体制加算", "issued": OLD,
     "question": "夜間の看護体制は、オンコールでよいか。", "answer": "差し支えない。"},
    {"service": "", "standard": "3 運営", "topic": "記録", "issued": VOL21,
     "question": "夜間の看護体制は、オンコールでよいか。", "answer": "差し支えない。ただし連絡体制を文書で定めること。"},
    {"service": "０１.全サービス共通\n（１３.訪問看護事業、２３.居宅介護支援事業を除く）", "standard": "5 その他",
     "topic": "日常生活費", "question": "おむつ代は徴収できるか。", "answer": "施設サービスでは徴収できない。", "issued": NOTE},
    {"service": "99 テスト事業", "standard": "5 その他", "topic": "", "question": "試行事業の扱いはどうか。",
     "answer": "追って示す。", "issued": NOTE},
]


def tree_digest(root: Path) -> str:
    h = hashlib.sha1()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def tiny(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(TINY, dst)
    return dst


# --------------------------------------------------------------------------- reading the sheet


def test_columns_are_found_by_header_in_any_order_with_extra_columns_and_a_cover_sheet(tmp_path):
    plain = read_workbook(write_workbook(tmp_path / "a.xlsx", ROWS))
    other = read_workbook(write_workbook(
        tmp_path / "b.xlsx", ROWS, order=("issued", "question", "topic", "answer", "service", "standard", "number"),
        merged=False, cover=True, extra_column="備考"))
    assert other.sheet == plain.sheet == "介護サービスQ＆A集（テスト版）"
    strip = [(r.service, r.standard, r.topic, r.question, r.answer, r.issued) for r in plain.rows]
    assert strip == [(r.service, r.standard, r.topic, r.question, r.answer, r.issued) for r in other.rows]
    # merged service/standard cells carry down; a blank topic does not
    assert plain.rows[1].service == "18 短期入所生活介護事業" and plain.rows[1].standard == "4 報酬"
    assert plain.rows[2].standard == "3 運営"
    assert plain.rows[4].topic == ""


def test_a_workbook_without_an_answer_column_is_refused_naming_file_sheet_and_column(tmp_path):
    path = write_workbook(tmp_path / "no-answer.xlsx", ROWS, drop=("answer",))
    with pytest.raises(WorkbookError) as e:
        read_workbook(path)
    msg = str(e.value)
    assert "no-answer.xlsx" in msg and "介護サービスQ＆A集（テスト版）" in msg and "回答" in msg and "\n" not in msg


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_workbook_is_refused_in_one_line(tmp_path, content):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(WorkbookError) as e:
        read_workbook(path)
    assert "bad.xlsx" in str(e.value) and "\n" not in str(e.value)


# --------------------------------------------------------------------------- the notice cell


@pytest.mark.parametrize("short, iso", [
    ("6.3.15", "2024-03-15"), ("５.２.15", "2023-02-15"), ("27．4.30", "2015-04-30"), ("元.7.23", "2019-07-23"),
    ("31.4.12", "2019-04-12"), ("12.3.31事務連絡", "2000-03-31"), ("11.1.1", "2029-01-01")])
def test_short_wareki_dates(short, iso):
    assert short_wareki(short).isoformat() == iso


def test_a_notice_cell_gives_date_kind_bulletin_title_series_and_volume():
    (n,) = parse_notices("6.3.15事務連絡\n介護保険最新情報Vol.1225\n「令和６年度介護報酬改定に関するＱ＆Ａ（ Vol. １）"
                         "（令和６年３月15日）」の送付について")
    assert (n.date, n.kind, n.bulletin, n.bulletin_no) == ("2024-03-15", "事務連絡", "介護保険最新情報Vol.1225", 1225)
    assert (n.series, n.volume, n.id) == ("令和６年度介護報酬改定に関するＱ＆Ａ", 1, "r6-qa-vol1")
    assert n.name == "令和６年度介護報酬改定に関するＱ＆Ａ（ Vol. １）（令和６年３月15日）"
    (plain,) = parse_notices(NOTE)
    assert (plain.series, plain.volume, plain.title) == ("", None, "その他の日常生活費に係るQ&Aについて")
    assert plain.id.startswith("notice-2000-03-31-")


def test_a_cell_with_two_notices_and_a_remark():
    cell = VOL21 + "\n" + OLD + "\n平成27年介護報酬改定Q＆Avol.2問38により削除"
    first, second = parse_notices(cell)
    assert first.id == "r6-qa-vol21" and second.id == "h30-qa-vol1"
    assert second.remark == "平成27年介護報酬改定Q＆Avol.2問38により削除"
    (by,) = amended_by_in(second.remark)
    assert (by.action, by.target.series_id, by.target.volume, by.target.number) == ("削除", "h27-qa", 2, 38)


# --------------------------------------------------------------------------- amendments


@pytest.mark.parametrize("text, expected", [
    ("※　令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月 15 日）問 163 は削除する。",
     [("削除", "r6-qa", 1, "2024-03-15", 163)]),
    ("※令和3年度介護報酬改定に関するQ&A(Vol3)(令和3年3月26日)問50の修正",
     [("修正", "r3-qa", 3, "2021-03-26", 50)]),
    ("※平成30年度介護報酬改定に関するQ&A(Vol.1)(平成30年3月23日)問30、問31は削除する",
     [("削除", "h30-qa", 1, "2018-03-23", 30), ("削除", "h30-qa", 1, "2018-03-23", 31)]),
    ("なお、平成27年度介護報酬改定に関するQ&A(平成27年4月1日)問50 を削除し、以下のとおりとする。",
     [("削除", "h27-qa", None, "2015-04-01", 50)]),
    ("※平成24年度介護報酬改定に関するQ&A(vol.1)(平成24年3月16日)問67、問68、平成24年度介護報酬改定に関するQ&A(vol.2)"
     "(平成24年3月30日)問13は削除する。", [("削除", "h24-qa", 1, "2012-03-16", 67), ("削除", "h24-qa", 1, "2012-03-16", 68),
                                    ("削除", "h24-qa", 2, "2012-03-30", 13)]),
    ("問30を参照されたい。修正した内容は以下のとおり。", []),
])
def test_amendments_are_read_from_the_answer(text, expected):
    found = [(a.action, a.target.series_id, a.target.volume, a.target.date, a.target.number) for a in amendments_in(text)]
    assert found == expected


# --------------------------------------------------------------------------- ingest and the corpus


def test_ingest_stores_reviewable_text_that_round_trips_and_merges_with_the_documents(tiny, tmp_path):
    report = ingest_workbook(write_workbook(tmp_path / "wb.xlsx", ROWS), tiny)
    stored = tiny / "workbooks" / "mhlw-kaigo-service-qa.toml"
    assert report.rows == 5 and report.rulings == 5 and stored.exists()
    text = stored.read_text(encoding="utf-8")
    assert "看取り連携体制加算の記録は、どこに残せばよいか。" in text  # plain text, reviewable
    wb = load_workbook(stored)
    assert dump(wb) == text  # the stored form round-trips
    assert {r.question for r in wb.rows} == {r["question"] for r in ROWS}
    # 18 resolves by its name (短期入所生活介護); 99 is in no list; the tiny list has no 全サービス group
    assert report.unknown_services["99 テスト事業"] == 1
    assert "18 短期入所生活介護事業" not in report.unknown_services

    c = load_corpus(tiny)
    newer = next(q for q in c.qas if q.question.startswith("看取り連携体制加算の記録"))
    assert newer.id.startswith("r6-qa-vol21-x") and newer.volume == 21 and newer.standard == "報酬"
    assert newer.date == "2024-04-01" and newer.notices[0].bulletin_no == 9999
    # the amendment names Vol.20 問2, which the tiny corpus holds: linked, and marked on the older one
    (link,) = c.links_from(newer.id)
    assert (link.action, link.older) == ("削除", "r6-qa-vol20-q2")
    assert c.statuses["r6-qa-vol20-q2"] == "削除"
    # the same question in two notices: the newest first, the older one its earlier ruling
    again = [q for q in c.qas if q.question == "夜間の看護体制は、オンコールでよいか。"]
    assert len(again) == 2
    newest = max(again, key=lambda q: q.date)
    assert c.earlier(newest.id) == [min(again, key=lambda q: q.date).id]


def test_a_row_that_is_a_document_ruling_joins_it_and_keeps_its_number(tiny, tmp_path):
    row = {"service": "18 短期入所生活介護事業", "standard": "4 報酬", "topic": "看取り",
           "question": "算定の記録は どこに残すか。",  # the volume's 問２, spaced differently
           "answer": "介護記録に残すこと。", "issued": VOL21.replace("２１", "２０").replace("6.4.1", "8.1.15")}
    ingest_workbook(write_workbook(tmp_path / "wb.xlsx", [row]), tiny)
    c = load_corpus(tiny)
    q = c.qas_by_id["r6-qa-vol20-q2"]
    assert q.number == 2 and q.rows and q.rows[0].topic == "看取り" and q.standard == "報酬"
    assert q.aliases and c.qas_by_id[q.aliases[0]] is q  # the workbook id still finds it
    assert len([x for x in c.qas if x.volume == 20]) == 3


def test_a_new_edition_needs_replace_and_reports_added_removed_changed(tiny, tmp_path):
    ingest_workbook(write_workbook(tmp_path / "old.xlsx", ROWS[:4]), tiny)
    edited = [dict(r) for r in ROWS]
    edited[3]["answer"] = "施設サービスでは徴収できない（改正後）。"
    edited[1].update(service=ROWS[0]["service"], standard=ROWS[0]["standard"])  # its block now starts here
    new = write_workbook(tmp_path / "new.xlsx", edited[1:])
    before = tree_digest(tiny)
    with pytest.raises(IngestError, match="--replace"):
        ingest_workbook(new, tiny)
    assert tree_digest(tiny) == before
    report = ingest_workbook(new, tiny, replace_existing=True)
    assert report.replaced and len(report.added) == 1 and len(report.removed) == 1 and len(report.changed) == 1
    assert "1 added, 1 removed, 1 changed" in "\n".join(report.lines())


def test_ids_survive_mhlw_resorting_the_rows(tiny, tmp_path):
    ingest_workbook(write_workbook(tmp_path / "a.xlsx", ROWS), tiny)
    first = (tiny / "workbooks" / "mhlw-kaigo-service-qa.toml").read_bytes()
    carried = [dict(r, service=r["service"] or "18 短期入所生活介護事業", standard=r["standard"] or "4 報酬")
               for r in ROWS]
    ingest_workbook(write_workbook(tmp_path / "a.xlsx", carried), tiny, replace_existing=True)
    first = (tiny / "workbooks" / "mhlw-kaigo-service-qa.toml").read_bytes()
    shuffled = [carried[i] for i in (3, 0, 4, 2, 1)]
    report = ingest_workbook(write_workbook(tmp_path / "b.xlsx", shuffled, merged=False), tiny, replace_existing=True)
    assert report.added == report.removed == report.changed == []
    # the stored rows come in the same order whatever MHLW's: a re-sorted edition is no diff
    assert first == (tiny / "workbooks" / "mhlw-kaigo-service-qa.toml").read_bytes().replace(b"b.xlsx", b"a.xlsx")


def test_bad_workbooks_leave_the_corpus_unchanged(tiny, tmp_path):
    before = tree_digest(tiny)
    for path in (write_workbook(tmp_path / "no-answer.xlsx", ROWS, drop=("answer",)), tmp_path / "missing.xlsx"):
        with pytest.raises(IngestError):
            ingest_workbook(path, tiny)
    assert tree_digest(tiny) == before


def test_cli_ingest_build_search_show(tiny, tmp_path):
    runner = CliRunner()
    path = write_workbook(tmp_path / "wb.xlsx", ROWS)
    r = runner.invoke(main, ["ingest", str(path), "--yes", "--corpus", str(tiny)])
    assert r.exit_code == 0, r.output
    assert "5 rows -> 5 rulings" in r.output and "99 テスト事業" in r.output
    out = tmp_path / "build"
    r = runner.invoke(main, ["build", "--corpus", str(tiny), "--build-dir", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["search", "おむつ代", "--json", "--build-dir", str(out)])
    hit = json.loads(r.output)["hits"][0]
    assert hit["standard"] == "その他" and hit["citation"] == "「その他の日常生活費に係るQ&Aについて」（平成12年3月31日）"
    r = runner.invoke(main, ["search", "おむつ代", "--standard", "報酬", "--json", "--build-dir", str(out)])
    assert all(h.get("standard") == "報酬" for h in json.loads(r.output)["hits"])
    r = runner.invoke(main, ["search", "オンコール 看護体制", "--json", "--build-dir", str(out)])
    hits = json.loads(r.output)["hits"]
    assert hits[0]["date"] == "2024-04-01" and [e["date"] for e in hits[0]["earlier"]] == ["2018-03-22"]
    assert sum(1 for h in hits if "オンコール" in h["text"]) == 1  # the older one is listed, not repeated
    newer = next(q for q in load_corpus(tiny).qas if q.volume == 21 and "記録" in q.question)
    r = runner.invoke(main, ["show", newer.id, "--json", "--corpus", str(tiny)])
    shown = json.loads(r.output)
    assert shown["amends"] == [{"action": "削除", "newer": {"id": newer.id, "label": newer.citation},
                                "older": {"id": "r6-qa-vol20-q2", "label": shown["amends"][0]["older"]["label"]}}]
    r = runner.invoke(main, ["show", "r6-qa-vol20-q2", "--json", "--corpus", str(tiny)])
    assert json.loads(r.output)["status"] == "削除"
    r = runner.invoke(main, ["qa", "21", "--corpus", str(tiny)])
    assert r.exit_code == 0 and "看取り連携体制加算" in r.output
    # the site: a page per ruling, the deleted one marked with a link to the newer one
    site = out / "site"
    old_page = (site / "qa" / "r6-qa-vol20-q2.html").read_text(encoding="utf-8")
    assert "削除" in old_page and f"{newer.id}.html" in old_page
    assert (site / "qa" / f"{newer.id}.html").exists()
    volumes = (site / "volumes.html").read_text(encoding="utf-8")
    assert "Vol.21" in volumes and "volumes/r6-qa-vol21.html" in volumes  # the volume's rulings on its own page
    assert f"{newer.id}.html" in (site / "volumes" / "r6-qa-vol21.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the real workbook


@pytest.mark.skipif(not REAL_XLSX.exists(), reason="../shared/real not present")
def test_every_real_row_is_a_record_nothing_lost(real_corpus):
    rows = real_rows(REAL_JSON)
    c = real_corpus
    held = {}
    for q in c.qas:
        for r in q.rows:
            held.setdefault((r.question, r.answer), []).append(q)
    lost = [r for r in rows if (r["question"], r["answer"]) not in held]
    assert lost == []
    assert sum(len(q.rows) for q in c.qas) == len(rows)
    for qid in ("r6-qa-vol1-q127", "r6-qa-vol2-q13", "r6-qa-vol3-q3", "r6-qa-vol7-q1"):
        q = c.qas_by_id[qid]
        assert q.rows and q.quoted_in and q.number is not None  # merged: number and quote kept


@pytest.mark.skipif(not REAL_XLSX.exists(), reason="../shared/real not present")
def test_the_real_workbook_in_another_layout_gives_the_same_rows(tmp_path):
    rows = real_rows(REAL_JSON)
    other = write_workbook(tmp_path / "other.xlsx", rows, order=("answer", "question", "issued", "topic", "standard",
                                                                 "service", "number"),
                           merged=False, cover=True, extra_column="備考")
    a, b = read_workbook(REAL_XLSX), read_workbook(other)
    key = lambda r: (r.service, r.standard, r.topic, r.question, r.answer, r.issued, r.number)
    assert [key(r) for r in a.rows] == [key(r) for r in b.rows]


@pytest.mark.skipif(not REAL_XLSX.exists(), reason="../shared/real not present")
def test_the_vol14_deletion_of_vol1_q163_shows_as_a_link(real_build):
    runner = CliRunner()
    corpus_dir, build_dir = real_build
    c = load_corpus(corpus_dir)
    newer = next(q for q in c.qas if q.volume == 14 and "認知症介護基礎研修" in q.question + q.answer
                 and any(x.target.number == 163 for x in q.amends))
    r = runner.invoke(main, ["show", newer.id, "--json", "--corpus", str(corpus_dir)])
    (link,) = [x for x in json.loads(r.output)["amends"] if "問163" in x["older"]["label"]]
    assert link["action"] == "削除" and link["newer"]["id"] == newer.id and "Vol.1" in link["older"]["label"]
    page = (build_dir / "site" / "qa" / f"{newer.id}.html").read_text(encoding="utf-8")
    assert "問163" in page and "削除" in page


def test_a_question_edited_slightly_in_a_later_edition_is_the_same_question(tiny, tmp_path):
    later = "8.3.13\n介護保険最新情報Vol.1479\n「介護職員等処遇改善加算に関するＱ＆Ａ（第１版）」について"
    earlier = "7.3.18\n事務連絡\n介護保険最新情報Vol.1367\n「介護職員等処遇改善加算に関するＱ＆Ａ（第2版）」の送付について"
    rows = [{"service": "01 全サービス共通", "standard": "4 報酬", "topic": "賃金改善方法",
             "question": "賞与を引き下げた場合、介護職員の賃金が下がったときの取扱いはどうなるのか。", "answer": "旧", "issued": earlier},
            {"service": "01 全サービス共通", "standard": "4 報酬", "topic": "賃金改善方法",
             "question": "賞与を引き下げた場合、介護職員等の賃金が下がったときの取扱いはどうなるのか。", "answer": "新", "issued": later},
            {"service": "01 全サービス共通", "standard": "4 報酬", "topic": "賃金改善方法",
             "question": "賃金改善の実施期間はいつからいつまでか。", "answer": "別", "issued": later}]
    ingest_workbook(write_workbook(tmp_path / "wb.xlsx", rows), tiny)
    c = load_corpus(tiny)
    new = next(q for q in c.qas if q.answer == "新")
    old = next(q for q in c.qas if q.answer == "旧")
    other = next(q for q in c.qas if q.answer == "別")
    assert c.repeats[new.id] == [new.id, old.id] and c.earlier(new.id) == [old.id]
    assert other.id not in c.repeats
