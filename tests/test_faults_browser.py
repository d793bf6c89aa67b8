"""The fault suite in the browser (tests/test_faults.py has the rest): the CLI's hostile
queries, a pasted page of text, the XSS fixture's payloads inert, no page loading anything
from the network. The browser fixtures are in tests/conftest.py (skipped without Debian's
chromium or the playwright package).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.search.searcher import MAX_QUERY, clean_query
from tests.conftest import watched
from tests.hostile import HOSTILE_QUERIES, as_json

XSS = Path(__file__).resolve().parent / "fixtures" / "xss"


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory) -> Path:
    from kb.build import build

    out = tmp_path_factory.mktemp("faults-browser-xss") / "build"
    build(XSS, out)
    return out / "site"


PASTE_MS = 1000  # a pasted page must not hold the page longer than this (it took ~7 s)


def open_site(page, site: Path) -> None:
    page.goto((site / "index.html").as_uri())
    page.wait_for_function("window.kaigoCleanQuery !== undefined")


def test_hostile_queries_clean_alike_in_both_runtimes(page, xss_site):
    open_site(page, xss_site)
    # the list travels as ASCII JSON and is parsed in the page: lone surrogates arrive intact
    cleaned = json.loads(page.evaluate(
        "list => JSON.stringify(JSON.parse(list).map(q => window.kaigoCleanQuery(q)))", as_json()))
    expected = [clean_query(q) for _, q in HOSTILE_QUERIES]
    differ = [(name, b[:40], c[:40]) for (name, _), b, c in zip(HOSTILE_QUERIES, cleaned, expected) if b != c]
    assert differ == []
    assert page.evaluate("window.KAIGO_INDEX.maxQuery") == MAX_QUERY


def test_hostile_queries_search_without_errors(page, built):
    open_site(page, built / "site")
    times = page.evaluate("""list => JSON.parse(list).map(q => {
        const t0 = performance.now();
        const hits = window.kaigoSearch(q, 10);
        return [Array.isArray(hits), performance.now() - t0];
    })""", as_json())
    assert all(ok for ok, _ in times)
    slow = [(name, round(ms)) for (name, _), (_, ms) in zip(HOSTILE_QUERIES, times) if ms > PASTE_MS]
    assert slow == []
    assert page.errors == []


def test_a_pasted_page_does_not_freeze_the_search_box(page, built):
    open_site(page, built / "site")
    for n in (100_000, 1_000_000):
        ms = page.evaluate("""n => {
            const box = document.getElementById("q"), text = "介護保険施設の協力医療機関連携加算について。".repeat(n / 20);
            const t0 = performance.now();
            box.value = text;
            box.dispatchEvent(new Event("input"));  // the page searches as one types: this is the paste
            return performance.now() - t0;
        }""", n)
        assert ms < PASTE_MS, f"{n} characters: {ms:.0f} ms"
        assert page.query_selector(".hit") is not None  # it searched the first MAX_QUERY characters
        assert len(page.evaluate("location.href")) < 10 * MAX_QUERY  # not the whole paste in the URL
    assert page.errors == []


def test_xss_pages_run_nothing_and_load_nothing_from_the_network(browser, xss_site):
    ctx = browser.new_context()
    pg = watched(ctx.new_page())
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        pages = sorted(xss_site.rglob("*.html"))
        assert len(pages) >= 8
        for path in pages:
            pg.goto(path.as_uri())
            pg.wait_for_load_state("load")
        for query in ("注入テスト", "javascript", "alert", "{{ 7*7 }}", "注入サービス"):
            pg.goto((xss_site / "index.html").as_uri() + "#q=" + query)
            pg.wait_for_load_state("load")
            assert pg.query_selector("#results img, #results script, #results svg, #results iframe") is None
            for a in pg.query_selector_all("#results a"):
                assert not a.get_attribute("href").lower().startswith(("javascript:", "data:", "http"))
    finally:
        ctx.close()
    assert dialogs == [] and pg.errors == []
    assert pg.requests and [u for u in pg.requests if not u.startswith("file://")] == []


def test_no_page_of_the_real_site_loads_from_the_network(browser, built):
    site = built / "site"
    ctx = browser.new_context()
    pg = watched(ctx.new_page())
    try:
        # one page of every kind
        kinds = ["index.html", "volumes.html", "glossary.html", "rules.html", "services.html", "docs/index.html"]
        for folder in ("docs", "qa", "rules", "services"):
            kinds += [str(next(p for p in sorted((site / folder).glob("*.html")) if p.name != "index.html")
                          .relative_to(site))]
        for rel in kinds:
            pg.goto((site / rel).as_uri())
            pg.wait_for_load_state("load")
    finally:
        ctx.close()
    assert len({u for u in pg.requests if u.endswith(".html")}) == len(kinds)
    assert [u for u in pg.requests if not u.startswith("file://")] == []
