import json

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.search.searcher import Filters, QueryError
from tests.conftest import DEV_QUERIES, REAL_DEV_QUERIES, ROOT


def ids(result):
    return [h.id for h in result.hits]


def test_short_stay_query_finds_q152_and_q153_in_top_five(searcher):
    top = ids(searcher.search("ショートステイ 算定", limit=5))
    assert "r6-qa-vol1-q152" in top and "r6-qa-vol1-q153" in top


@pytest.mark.parametrize("query, first", [
    ("Vol.1 問127", "r6-qa-vol1-q127"),
    ("ＱＡ ｖｏｌ３ 問３", "r6-qa-vol3-q3"),
    ("Ｖｏｌ．７ 問１", "r6-qa-vol7-q1"),
    ("vol 2 問 18", "r6-qa-vol2-q18"),
    ("問１２７", "r6-qa-vol1-q127"),
    ("令和６年度介護報酬改定に関するＱ＆Ａ（Vol.16）", "r6-qa-vol16-xa460f1"),
    ("vol16", "r6-qa-vol16-xa460f1"),
])
def test_reference_puts_that_qa_first(searcher, query, first):
    assert ids(searcher.search(query, limit=5))[0] == first


def test_abbreviation_reaches_official_and_group_terms(searcher):
    # 特養 is not written in 002's 協力医療機関連携加算 notice; 介護老人福祉施設 is
    hits = searcher.search("特養 協力医療機関連携加算", limit=10).hits
    assert any("介護老人福祉施設" in h.data["text"] for h in hits)
    groups = searcher.query_groups("特養")
    assert len(groups) == 1 and {"介護老人福祉施設", "介護保険施設等"} <= set(groups[0])
    assert groups[0]["特養"] > groups[0]["介護老人福祉施設"] > groups[0]["介護保険施設等"]


def test_compound_parts_are_searchable(searcher):
    hits = searcher.search("医療機関 連携 加算", limit=10).hits
    assert any("協力医療機関連携加算" in h.data["text"] for h in hits)


def test_sentence_query(searcher):
    top = ids(searcher.search("往診体制を常時確保していないと協力医療機関になれないか", limit=5))
    assert "r6-qa-vol16-xa460f1" in top


@pytest.mark.parametrize("query", [
    'AND OR NOT "unbalanced', "*", "title:(", "問 127 AND (", "協力" * 5000, "\x00\x07制御\x1b[31m",
    "((()))", "~^!&|", "ｖｏｌ９９９ 問９９９９",
])
def test_hostile_queries_never_crash(searcher, query):
    result = searcher.search(query, limit=10)
    assert isinstance(result.hits, list)


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01"])
def test_empty_query_is_a_clear_error(searcher, query):
    with pytest.raises(QueryError, match="empty query"):
        searcher.search(query)


def test_filters(searcher):
    qa_only = searcher.search("協力医療機関", limit=20, filters=Filters(kind="qa")).hits
    assert qa_only and all(h.kind == "qa" for h in qa_only)
    vol1 = searcher.search("協力医療機関", limit=20, filters=Filters(volume=1)).hits
    assert vol1 and all(h.id.startswith("r6-qa-vol1-") for h in vol1)
    late = searcher.search("協力医療機関", limit=20, filters=Filters(since="2025-01-01")).hits
    assert late and all(h.data["source"]["date"] >= "2025-01-01" or h.kind == "qa" for h in late)
    with pytest.raises(QueryError, match="unknown service"):
        searcher.search("加算", filters=Filters(service="存在しないサービス"))


def test_service_filter_uses_abbreviations_and_groups(searcher):
    hits = searcher.search("協力医療機関", limit=30, filters=Filters(service="特養")).hits
    assert hits
    assert all(any(s in h.data["text"] + " ".join(h.data.get("breadcrumb", [])) + h.data["title"]
                   for s in ("介護老人福祉施設", "特養", "特別養護老人ホーム", "介護保険施設", "高齢者施設等"))
               for h in hits[:10])


def _cli(index_build, *args):
    return CliRunner().invoke(main, ["search", "--build-dir", str(index_build), *args])


def test_cli_json_shape(index_build):
    r = _cli(index_build, "Vol.1 問127", "--json", "--limit", "3")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["kind"] == "search" and data["query"] == "Vol.1 問127" and len(data["hits"]) == 3
    hit = data["hits"][0]
    assert set(hit) >= {"id", "kind", "title", "text", "citation", "source", "score", "category", "headline",
                        "date_printed", "exact"}
    assert set(hit["source"]) == {"id", "title", "kind", "date", "date_printed", "url", "bulletin"}
    assert hit["exact"] and not any(h["exact"] for h in data["hits"][1:])
    assert (hit["category"], hit["reference"], hit["date_printed"]) == ("Q&A", "Vol.1 問127", "令和６年３月15日")
    assert hit["answer"].startswith("職種は問わない") and hit["question"].endswith("どんな職種を想定しているか。")
    assert hit["citation"] == "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127"
    assert "職種は問わない" in hit["text"] and "どんな職種を想定" in hit["text"]


def test_cli_human_output_is_plain_when_piped(index_build):
    r = _cli(index_build, "ショートステイ", "算定")
    assert r.exit_code == 0 and "\x1b[" not in r.output
    assert " 1. [" in r.output and "id: " in r.output


def test_cli_human_output_answers_first_and_sets_the_reference_apart(index_build):
    r = _cli(index_build, "Vol.1 問127", "--limit", "3")
    reading, *lines = r.output.splitlines()
    assert reading == "読み取り: Vol.1 問127（参照）"  # how the query was read, in one line
    assert lines[0].startswith(" 1. [Q&A] Vol.1 問127  令和６年３月15日") and "該当" in lines[0]
    assert lines[2].startswith("    答 職種は問わない")  # the answer right under the question
    assert lines[3] == "    「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127"
    assert "関連する結果" in r.output.split(" 2. ")[0]  # the rest below a line of its own
    r = _cli(index_build, "協力医療機関", "会議", "--kind", "事務連絡", "--limit", "3")
    assert r.exit_code == 0 and r.output.count("[事務連絡] 令和6年7月5日") == 3


def test_cli_zero_hits_say_what_to_try(index_build):
    r = _cli(index_build, "協力医療機関", "--vol", "99")
    assert r.exit_code == 0 and "no hits with --vol 99; try without them" in r.output


def test_cli_errors(index_build, tmp_path):
    r = _cli(index_build, "")
    assert r.exit_code == 2 and "empty query" in r.output
    r = _cli(index_build, "加算", "--since", "yesterday")
    assert r.exit_code == 2 and "--since" in r.output
    r = CliRunner().invoke(main, ["search", "--build-dir", str(tmp_path / "nowhere"), "加算"])
    assert r.exit_code == 1 and "kaigo-kb build" in r.output and "Traceback" not in r.output


def test_wareki_dates_in_filters(index_build):
    r = _cli(index_build, "協力医療機関", "--since", "令和7年1月1日", "--json")
    assert r.exit_code == 0
    assert all(h["source"]["date"] >= "2025-01-01" or h["kind"] == "qa" for h in json.loads(r.output)["hits"])


def _score(searcher, path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from eval_queries import evaluate, load

    return evaluate(searcher, load(path))


def test_own_query_set(searcher):
    from pathlib import Path

    ok, n, mrr = _score(searcher, Path(__file__).parent / "queries.tsv")
    assert ok >= n - 2, f"{ok}/{n}"


@pytest.mark.skipif(not DEV_QUERIES.exists(), reason="../shared/eval not present")
def test_dev_queries(searcher):
    ok, n, mrr = _score(searcher, DEV_QUERIES)
    assert ok >= 28, f"{ok}/{n} MRR={mrr:.3f}"


def test_build_refuses_bad_rules_and_keeps_the_last_good_build(corpus_copy, tmp_path):
    import re

    from kb.build import build

    out = tmp_path / "build"
    build(corpus_copy, out, site=False)
    before = sorted(p.name for p in (out / "index").iterdir())
    rule = corpus_copy / "rules" / "kyoryoku-iryokikan-renkei-kasan.toml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(re.sub(r"value = 50\b", "value = 55", text, count=1), encoding="utf-8")
    r = CliRunner().invoke(main, ["build", "--corpus", str(corpus_copy), "--build-dir", str(out), "--no-site"])
    assert r.exit_code == 1 and "kyoryoku-iryokikan-renkei-kasan.toml" in r.output and "55" in r.output
    assert sorted(p.name for p in (out / "index").iterdir()) == before
    assert not list(tmp_path.glob(".build.tmp-*"))


def test_rules_are_search_hits(searcher):
    hits = searcher.search("協力医療機関連携加算 単位", limit=10, filters=Filters(kind="rule")).hits
    assert hits and hits[0].kind == "rule" and "協力医療機関連携加算" in hits[0].data["title"]


def test_short_sections_are_searched_whole(searcher):
    hits = searcher.search("都道府県による市町村支援", limit=5).hits
    sec = [h for h in hits if h.kind == "section"]
    assert sec and "技術的支援" in sec[0].data["text"] and "市町村" in sec[0].data["text"]


def test_end_to_end_on_a_tiny_hand_made_corpus(tmp_path):
    tiny = ROOT / "tests" / "fixtures" / "tiny"
    out = tmp_path / "b"
    r = CliRunner().invoke(main, ["build", "--corpus", str(tiny), "--build-dir", str(out), "--no-site"])
    assert r.exit_code == 0, r.output

    def top(q):
        r = CliRunner().invoke(main, ["search", q, "--json", "--build-dir", str(out)])
        assert r.exit_code == 0, r.output
        return [h["id"] for h in json.loads(r.output)["hits"]]

    assert top("特養 往診")[0] == "r6-qa-vol20-q3"
    assert top("ショートステイ 看取り")[0] == "r6-qa-vol20-q1"
    assert top("Vol.20 問2")[0] == "r6-qa-vol20-q2"
    assert top("介護記録")[0] == "r6-qa-vol20-q2"
    assert any(i.startswith("tiny-notice:") for i in top("相談対応 常時"))


@pytest.mark.parametrize("query", ['AND "unbalanced', "*", "介護" * 5000, "\x1b[31m制御\x07", "", "ｖｏｌ９９９"])
def test_hostile_queries_through_the_cli_exit_0_or_2_with_a_message(index_build, query):
    r = _cli(index_build, query, "--json")
    assert r.exit_code in (0, 2), r.output
    assert "Traceback" not in r.output
    if r.exit_code == 0:
        assert isinstance(json.loads(r.output)["hits"], list)
    else:
        assert "Error" in r.output


def test_a_damaged_index_says_to_rebuild(tmp_path):
    import shutil

    from kb.build import build

    out = tmp_path / "b"
    build(ROOT / "tests" / "fixtures" / "tiny", out, site=False)
    (out / "index" / "impacts.idx").unlink()  # as an index from before the impacts existed
    r = CliRunner().invoke(main, ["search", "介護記録", "--build-dir", str(out)])
    assert r.exit_code == 1 and "rebuild it: kaigo-kb build" in r.output and "Traceback" not in r.output
    shutil.rmtree(out / "index")
    r = CliRunner().invoke(main, ["search", "介護記録", "--build-dir", str(out)])
    assert r.exit_code == 1 and "build it first" in r.output


@pytest.mark.skipif(not REAL_DEV_QUERIES.exists(), reason="../shared/eval not present")
def test_real_dev_queries_on_the_workbook(real_searcher):
    """../shared/eval/real_dev_queries.tsv on a scratch corpus with ../shared/real/qa-shu.xlsx ingested."""
    ok, n, mrr = _score(real_searcher, REAL_DEV_QUERIES)
    assert ok == n, f"{ok}/{n} (MRR {mrr:.3f})"


def test_a_rules_exact_name_puts_its_entry_first_with_the_amounts_of_the_day(searcher):
    import datetime as dt

    before = searcher.search("協力医療機関連携加算", today=dt.date(2024, 6, 1))
    after = searcher.search("協力医療機関連携加算", today=dt.date(2025, 6, 1))
    assert before.hits[0].id == after.hits[0].id == "kyoryoku-iryokikan-renkei-kasan" and before.rule
    first_line = lambda r: r.hits[0].data["in_force_text"]
    assert first_line(before).startswith("現在（令和6年6月1日）") and "100単位/月" in first_line(before)
    assert first_line(after).startswith("現在（令和7年6月1日）") and "50単位/月" in first_line(after)
    assert before.hits[1].kind == "qa"  # its rulings next
    # with other words the query asks something a ruling answers: no rule card forced first
    assert searcher.search("協力医療機関連携加算 同意 得られない").rule == ""
    assert searcher.search("特養 協力医療機関連携加算").hits[0].kind == "rule"


def test_the_reading_says_what_was_expanded_and_what_matched_nothing(searcher):
    r = searcher.search("SS 算定")
    assert r.reading_line().startswith("SS → 短期入所生活介護")
    none = searcher.search("ズンドコベロンチョ")
    assert none.hits == [] and none.unmatched == ["ズンドコベロンチョ"]
    ref = searcher.search("Vol.1 問999")
    assert ref.hits == [] and "Vol.1 has 問127, 問151, 問152, 問153" in ref.reference_note


QUERY_SETS = [DEV_QUERIES, REAL_DEV_QUERIES, ROOT / "tests" / "queries.tsv", ROOT / "tests" / "real_queries.tsv"]


def _read_all(searcher) -> tuple[list, int]:
    """Every query of the four query sets as the searcher answers it (hits, scores, how it was
    read), and how many of them needed Sudachi."""
    out, before = [], searcher.vocab.sudachi
    for path in QUERY_SETS:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines()[1:]:
                if line.strip():
                    r = searcher.search(line.split("\t")[1], limit=10)
                    out.append(([(h.id, h.score) for h in r.hits], [w.group for w in r.words], r.reading()))
    return out, searcher.vocab.sudachi - before


def _same_reading_with_and_without_the_vocabulary(searcher):
    fast, sudachi = _read_all(searcher)
    table, searcher.vocab.table = searcher.vocab.table, {}
    try:
        slow, _ = _read_all(searcher)
    finally:
        searcher.vocab.table = table
    assert len(fast) > 250 and fast == slow
    return len(fast) - sudachi


def test_queries_read_from_the_vocabulary_are_read_as_sudachi_reads_them(searcher):
    """The build's vocabulary (kb.search.vocab) reads the query sets' queries exactly as Sudachi
    does: the same words, groups, hits and scores; Sudachi is loaded only for the others."""
    assert _same_reading_with_and_without_the_vocabulary(searcher) >= 30


@pytest.mark.skipif(not REAL_DEV_QUERIES.exists(), reason="../shared/eval not present")
def test_queries_read_from_the_vocabulary_on_the_workbook(real_searcher):
    assert _same_reading_with_and_without_the_vocabulary(real_searcher) >= 40


def test_the_human_output_of_a_rule_shows_the_amounts_of_today_first(index_build):
    r = _cli(index_build, "協力医療機関連携加算", "--limit", "1")
    lines = r.output.splitlines()
    assert lines[1].startswith(" 1. [加算・基準]") and lines[3].startswith("    現在（令和")
