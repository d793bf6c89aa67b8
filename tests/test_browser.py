"""Browser search from disk: the built site opened over file:// in headless Chromium.

Needs Debian's chromium at /usr/bin/chromium (CI installs it) and the ``playwright``
Python package (its own browser downloads are never used); the browser fixtures are in
tests/conftest.py.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
DEV_QUERIES = ROOT.parent / "shared" / "eval" / "dev_queries.tsv"
OWN_QUERIES = ROOT / "tests" / "queries.tsv"

if not CHROMIUM.exists():
    pytest.skip("headless browser tests need Debian's chromium at /usr/bin/chromium "
                "(apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


@pytest.fixture(scope="session")
def xss_site(tmp_path_factory) -> Path:
    from kb.build import build

    out = tmp_path_factory.mktemp("browser-xss") / "build"
    build(ROOT / "tests" / "fixtures" / "xss", out)
    return out / "site"


def open_search(page, site: Path, query: str, sep: str = "?") -> list[str]:
    page.goto((site / "index.html").as_uri() + f"{sep}q=" + quote(query))
    page.wait_for_selector(".hit", timeout=10_000)
    return [h.get_attribute("data-id") for h in page.query_selector_all(".hit")]


def norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def query_rows(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            qid, query, k, expected, _who = (line.split("\t") + [""] * 5)[:5]
            alts = [[norm(x) for x in alt.split("&")] for alt in expected.split(" | ")]
            rows.append({"qid": qid, "query": query, "k": int(k), "alts": alts})
    return rows


def success(hits: list[dict], row: dict) -> bool:
    for h in hits[: row["k"]]:
        text = norm(h["title"] + "\n" + h["text"])
        if any(all(x in text for x in alt) for alt in row["alts"]):
            return True
    return False


def test_shortstay_query_from_the_url(page, built):
    ids = open_search(page, built / "site", "ショートステイ 算定")
    assert {"r6-qa-vol1-q152", "r6-qa-vol1-q153"} <= set(ids[:5]), ids[:5]
    assert page.errors == []


def test_hash_query_and_reference(page, built):
    ids = open_search(page, built / "site", "Vol.1 問127", sep="#")
    assert ids[0] == "r6-qa-vol1-q127"
    assert open_search(page, built / "site", "ＱＡ ｖｏｌ７ 問１")[0] == "r6-qa-vol7-q1"


def test_search_as_you_type_and_highlight(page, built):
    page.goto((built / "site" / "index.html").as_uri())
    page.fill("#q", "協力医療機関")
    page.wait_for_selector(".hit")
    assert page.query_selector(".hit mark") is not None
    href = page.query_selector(".hit a").get_attribute("href")
    assert not re.match(r"[a-z]+:", href)


def test_filters(page, built):
    open_search(page, built / "site", "協力医療機関")
    hits = page.evaluate("window.kaigoSearch('協力医療機関', 20, {kind: 'qa'})")
    assert hits and all(h["kind"] == "qa" for h in hits)
    vol2 = page.evaluate("window.kaigoSearch('協力医療機関', 20, {volume: '2'})")
    assert vol2 and all(h["id"].startswith("r6-qa-vol2-") for h in vol2)


@pytest.mark.parametrize("tsv", [DEV_QUERIES, OWN_QUERIES], ids=["dev", "own"])
def test_query_sets_score_like_the_cli(page, built, tsv):
    if not tsv.exists():
        pytest.skip(f"{tsv} not present")
    from kb.search.searcher import Searcher

    rows = query_rows(tsv)
    open_search(page, built / "site", "算定")
    browser_ok = sum(success(page.evaluate("q => window.kaigoSearch(q, 10)", r["query"]), r) for r in rows)
    searcher = Searcher(built / "index")
    cli_ok = sum(success([h.as_json() for h in searcher.search(r["query"], 10).hits], r) for r in rows)
    assert browser_ok >= cli_ok - 1, (browser_ok, cli_ok)
    assert browser_ok >= len(rows) - 2, (browser_ok, len(rows))


def test_browser_ranking_parameters_match_the_cli(built):
    from kb.search.searcher import Searcher
    from kb.site.browser_index import BM25

    w = Searcher(built / "index").searcher.weighting
    assert (w.B, w.K1) == (BM25["b"], BM25["k1"])


def test_pages_render_without_errors_or_network(page, built):
    site = built / "site"
    for rel in ("index.html?q=" + quote("特養 協力医療機関連携加算"), "qa/r6-qa-vol1-q127.html",
                "docs/guide-kyoryoku-iryokikan-joho-teikyo.html", "volumes.html", "glossary.html"):
        path, _, query = rel.partition("?")
        page.goto((site / path).as_uri() + (f"?{query}" if query else ""))
        page.wait_for_load_state("load")
    assert page.errors == []
    assert page.requests and all(u.startswith("file://") for u in page.requests), page.requests


def test_xss_payload_is_inert_in_results(page, xss_site):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ids = open_search(page, xss_site, "注入テスト")
    assert ids
    results = page.query_selector("#results")
    assert results.query_selector("img, script") is None
    assert "<img src=x onerror=" in results.inner_text()
    page.goto((xss_site / "docs" / "xss-doc.html").as_uri())
    page.wait_for_load_state("load")
    assert page.query_selector("main img, main script") is None
    assert dialogs == [] and page.errors == []


REAL_DEV = ROOT.parent / "shared" / "eval" / "real_dev_queries.tsv"
OWN_REAL = ROOT / "tests" / "real_queries.tsv"


@pytest.mark.parametrize("tsv", [REAL_DEV, OWN_REAL], ids=["real-dev", "own-real"])
def test_real_query_sets_score_like_the_cli_on_the_workbook(page, real_build, tsv):
    """The site built with ../shared/real/qa-shu.xlsx ingested: the browser finds what the CLI finds."""
    if not tsv.exists():
        pytest.skip(f"{tsv} not present")
    from kb.search.searcher import Searcher

    _, build_dir = real_build
    rows = query_rows(tsv)
    open_search(page, build_dir / "site", "算定")
    browser = [success(page.evaluate("q => window.kaigoSearch(q, 10)", r["query"]), r) for r in rows]
    searcher = Searcher(build_dir / "index")
    cli = [success([h.as_json() for h in searcher.search(r["query"], 10).hits], r) for r in rows]
    differ = [r["qid"] for r, b, c in zip(rows, browser, cli) if b != c]
    assert len(differ) <= max(1, len(rows) // 30), differ
    assert sum(browser) >= sum(cli) - 1


def test_a_rule_named_comes_first_with_its_amounts_today_and_the_reading(page, built):
    ids = open_search(page, built / "site", "協力医療機関連携加算")
    assert ids[0] == "kyoryoku-iryokikan-renkei-kasan"
    first = page.query_selector(".hit")
    assert "現在（" in first.inner_text() and "単位/月" in first.inner_text()
    open_search(page, built / "site", "SS 算定")
    reading = page.query_selector("#query-reading")
    assert reading.is_visible() and reading.inner_text().startswith("読み取り: SS → 短期入所生活介護")


def test_the_reading_line_is_the_clis(page, built):
    from kb.search.searcher import Searcher

    searcher = Searcher(built / "index")
    open_search(page, built / "site", "算定")
    for q in ("SS 算定", "特養 協力医療機関", "Vol.1 問127", "ケアマネ 入院時情報連携加算", "リハマネ加算 6月超"):
        page.fill("#q", q)
        page.wait_for_selector(".hit")
        shown = page.query_selector("#query-reading").inner_text()
        assert shown == "読み取り: " + searcher.search(q).reading_line(), q


def test_deleted_and_earlier_rulings_are_marked_in_the_results(page, real_build):
    _, build_dir = real_build
    ids = open_search(page, build_dir / "site", "事業悪化 賃金水準 引き下げ")
    first = page.query_selector(".hit")
    earlier = first.query_selector(".hit-earlier")
    assert earlier is not None and "以前の回答" in earlier.inner_text()
    assert len(ids) == len(set(ids))


def test_no_hits_name_the_words_nothing_contains(page, built):
    page.goto((built / "site" / "index.html").as_uri() + "?q=" + quote("ズンドコベロンチョ"))
    page.wait_for_selector("#no-hits:not([hidden])")
    text = page.query_selector("#no-hits").inner_text()
    assert "「ズンドコベロンチョ」" in text and "どの資料にもありません" in text


def test_the_standard_filter_narrows_to_workbook_rulings_of_that_kind(page, real_build):
    _, build_dir = real_build
    open_search(page, build_dir / "site", "送迎")
    page.select_option("#f-standard", "運営")
    page.wait_for_function("document.location.search.includes('standard=')")
    ids = [h.get_attribute("data-id") for h in page.query_selector_all(".hit")]
    kinds = page.evaluate("""ids => ids.map(id => {
        const U = window.kaigoEngine.index.units, ix = window.kaigoEngine.index, u = U.id.indexOf(id);
        return U.std[u] >= 0 ? ix.standards[U.std[u]] : ""; })""", ids)
    assert ids and set(kinds) == {"運営"}
