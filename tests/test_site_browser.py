"""The site as people use it, in headless Chromium over file://: clicking and tapping
results, copying a citation, the keyboard (/ ↑ ↓ Enter), a Japanese IME, printing, phones,
filters in the URL, the "as of a date" view. Fixtures: tests/conftest.py."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from tests.conftest import CHROMIUM, watched

if not CHROMIUM.exists():
    pytest.skip("headless browser tests need Debian's chromium at /usr/bin/chromium", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")

CITE_127 = "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127"


def home(page, built: Path, query: str = "") -> None:
    page.goto((built / "site" / "index.html").as_uri() + query)
    page.wait_for_load_state("load")


def type_query(page, built: Path, text: str, *, tap: bool = False) -> None:
    """Open the home page and type ``text`` into the box the way a person does."""
    home(page, built)
    page.tap("#q") if tap else page.click("#q")
    page.keyboard.type(text)
    page.wait_for_selector("li.hit")


def hit_ids(page) -> list[str]:
    return [h.get_attribute("data-id") for h in page.query_selector_all("li.hit")]


def params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    yield watched(ctx.new_page())
    ctx.close()


# --------------------------------------------------------------------------- opening results


def test_first_click_on_a_result_opens_it(page, built):
    type_query(page, built, "協力医療機関連携加算 会議")
    first = page.query_selector("li.hit a.hit-title")
    target = first.get_attribute("href")
    with page.expect_navigation(timeout=5000):
        first.click()  # the box loses focus on this click: the list must stay put
    assert urlsplit(page.url).path.endswith(urlsplit(target).path), page.url
    assert page.errors == []


def test_first_tap_on_a_result_opens_it(phone, built):
    type_query(phone, built, "ショートステイ 算定", tap=True)
    second = phone.query_selector_all("li.hit a.hit-title")[1]
    target = urlsplit(second.get_attribute("href")).path
    with phone.expect_navigation(timeout=5000):
        second.tap()
    assert urlsplit(phone.url).path.endswith(target), phone.url


def test_opened_page_marks_the_searched_words(page, built):
    home(page, built, "?q=" + quote("協力医療機関 会議") + "&kind=" + quote("自治体資料"))
    link = page.query_selector("li.hit a.hit-title")
    assert "hl=" in link.get_attribute("href")
    anchor = unquote(link.get_attribute("href").split("#")[1])
    with page.expect_navigation(timeout=5000):
        link.click()
    marks = [m.inner_text() for m in page.query_selector_all("main mark")]
    assert marks and {"協力医療機関", "会議"} <= set(marks), marks[:10]
    target = page.query_selector(f"[id='{anchor}']")
    assert target.query_selector("mark") is not None  # the clause the result named, marked too
    assert page.errors == []


# --------------------------------------------------------------------------- what a result shows


def test_the_reference_hit_is_set_apart_and_answers_first(page, built):
    home(page, built, "?q=" + quote("Vol.1 問127"))
    page.wait_for_selector("li.hit")
    items = page.query_selector_all("#results > li")
    first = items[0]
    assert "exact" in first.get_attribute("class") and first.get_attribute("data-id") == "r6-qa-vol1-q127"
    assert "hit-sep" in items[1].get_attribute("class")
    assert not [i for i in items[2:] if "exact" in (i.get_attribute("class") or "")]
    meta = first.query_selector(".hit-meta").inner_text()
    assert "Q&A" in meta and "Vol.1 問127" in meta and "令和６年３月15日" in meta
    assert first.query_selector(".hit-title").inner_text().startswith("協力医療機関連携加算について、入所者の病歴等")
    answer = first.query_selector(".hit-answer").inner_text()
    assert answer.startswith("答") and answer.rstrip().endswith("出席すること。")  # whole, not cut mid-word
    assert first.query_selector(".hit-source").inner_text() == CITE_127
    assert first.query_selector(".hit-flags") is not None  # room for 削除/修正 marks
    assert page.query_selector("#query-reading") is not None  # room for how the query was read


def test_snippets_show_the_text_as_printed(page, built):
    home(page, built, "?q=" + quote("退所時情報提供加算 医療機関 病院"))
    page.wait_for_selector("li.hit")
    texts = " ".join(h.inner_text() for h in page.query_selector_all("li.hit"))
    assert "（Ⅱ）" in texts and "(II)" not in texts


def test_badges_and_dates_for_documents(page, built):
    home(page, built, "?q=" + quote("協力医療機関 連携 周知"))
    page.wait_for_selector("li.hit")
    jimu = page.query_selector("li.hit[data-category='事務連絡']")
    assert jimu is not None
    meta = jimu.query_selector(".hit-meta").inner_text()
    assert "事務連絡" in meta and "令和6年7月5日" in meta
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.inner_text("#results"))


# --------------------------------------------------------------------------- keyboard and IME


def test_slash_arrows_and_enter(page, built):
    page.goto((built / "site" / "qa" / "r6-qa-vol1-q127.html").as_uri())
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-q"
    page.keyboard.type("協力医療機関")
    with page.expect_navigation(timeout=5000):
        page.keyboard.press("Enter")  # the header's box searches on the home page
    page.wait_for_selector("li.hit")
    assert params(page)["q"] == "協力医療機関"
    page.click("h1")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("ArrowDown")
    links = page.query_selector_all("li.hit a.hit-title")
    assert page.evaluate("document.activeElement.className") == "hit-title"
    assert page.evaluate("document.activeElement.href") == links[0].evaluate("a => a.href")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    second = links[1].evaluate("a => a.href")
    assert page.evaluate("document.activeElement.href") == second
    with page.expect_navigation(timeout=5000):
        page.keyboard.press("Enter")
    assert page.url == second
    assert page.errors == []


def test_ime_composition_does_not_search_mid_word(page, built):
    home(page, built)
    page.click("#q")
    cdp = page.context.new_cdp_session(page)
    for reading in ("と", "とく", "とくよ", "とくよう"):  # what the IME shows while the user types
        cdp.send("Input.imeSetComposition", {"text": reading, "selectionStart": len(reading),
                                             "selectionEnd": len(reading)})
        page.wait_for_timeout(50)
        assert page.input_value("#q") == reading
        assert hit_ids(page) == [] and page.inner_text("#status") == ""
    cdp.send("Input.insertText", {"text": "特養"})  # the user picks 特養: composition ends
    page.wait_for_selector("li.hit")
    assert page.input_value("#q") == "特養" and params(page)["q"] == "特養"
    assert page.errors == []


# --------------------------------------------------------------------------- filters and the URL


def test_filters_live_in_the_url_and_back_forward_restore_them(page, built):
    type_query(page, built, "協力医療機関")
    everything = hit_ids(page)
    page.select_option("#f-kind", "Q&A")
    page.wait_for_function("document.querySelectorAll('li.hit').length > 0")
    assert params(page) == {"q": "協力医療機関", "kind": "Q&A"}
    only_qa = hit_ids(page)
    assert only_qa != everything and all(i.startswith("r6-qa-") for i in only_qa)
    page.select_option("#f-service", "介護老人福祉施設")
    assert params(page)["service"] == "介護老人福祉施設"
    page.go_back()
    page.wait_for_function("document.getElementById('f-service').value === ''")
    assert page.input_value("#f-kind") == "Q&A" and hit_ids(page) == only_qa
    page.go_back()
    page.wait_for_function("document.getElementById('f-kind').value === ''")
    assert hit_ids(page) == everything
    page.go_forward()
    page.wait_for_function("document.getElementById('f-kind').value === 'Q&A'")
    assert hit_ids(page) == only_qa
    # a bookmark (or the link another page gives) restores query and filters
    home(page, built, "?q=" + quote("協力医療機関") + "&kind=" + quote("Q&A") + "&volume=1")
    assert page.input_value("#f-kind") == "Q&A" and page.input_value("#f-volume") == "1"
    assert hit_ids(page) and all(i.startswith("r6-qa-vol1-") for i in hit_ids(page))


def test_zero_results_say_what_to_do(page, built):
    home(page, built, "?q=" + quote("協力医療機関") + "&volume=16&service=" + quote("訪問介護"))
    page.wait_for_selector("#no-hits:not([hidden])")
    box = page.inner_text("#no-hits")
    assert "絞り込み（巻: Vol.16、サービス: 訪問介護）を外すと" in box and "用語集" in box
    page.click("#no-hits button")
    page.wait_for_selector("li.hit")
    assert params(page) == {"q": "協力医療機関"}
    home(page, built, "?q=" + quote("Vol.99 問1"))
    page.wait_for_selector("#no-hits:not([hidden])")
    assert "Vol.99 問1 はこのサイトに収録されていません" in page.inner_text("#no-hits")


# --------------------------------------------------------------------------- copy, print


def test_copy_citation_puts_the_printed_citation_on_the_clipboard(browser, built):
    ctx = browser.new_context()
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    pg = watched(ctx.new_page())
    pg.goto((built / "site" / "qa" / "r6-qa-vol1-q127.html").as_uri())
    pg.click("button[data-copy=citation]")
    pg.wait_for_function("document.querySelector('button[data-copy=citation]').textContent === 'コピーしました'")
    assert pg.evaluate("navigator.clipboard.readText()") == CITE_127
    assert pg.errors == []
    ctx.close()


def test_printing_a_results_page_prints_the_results(page, built):
    from io import BytesIO

    import pypdfium2 as pdfium

    home(page, built, "?q=" + quote("ショートステイ 算定"))
    page.wait_for_selector("li.hit")
    page.emulate_media(media="print")
    assert page.is_visible("li.hit") and page.is_visible("#print-query")
    assert not page.is_visible("#q")
    pdf = pdfium.PdfDocument(BytesIO(page.pdf(format="A4")))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    squeezed = re.sub(r"\s+", "", text)
    assert "検索:ショートステイ算定" in squeezed
    assert "グループホームのショートステイ利用者は対象となるか" in squeezed  # a hit's title
    assert "令和６年度介護報酬改定に関するＱ＆Ａ" in squeezed


# --------------------------------------------------------------------------- phones


PAGE_KINDS = ["index.html", "index.html?q=" + quote("協力医療機関連携加算 特養"), "volumes.html", "glossary.html",
              "docs/index.html", "docs/guide-kyoryoku-iryokikan-joho-teikyo.html",
              "docs/r6-zaitaku-iryo-kaigo-renkei-gaiyo.html", "qa/r6-qa-vol1-q127.html", "rules.html",
              "rules/kyoryoku-iryokikan-renkei-kasan.html", "rules/kyoryoku-iryokikan-yoken.html", "services.html",
              "services/tokuyo.html"]


def test_no_sideways_scrolling_on_a_phone(phone, built):
    for rel in PAGE_KINDS:
        path, _, query = rel.partition("?")
        phone.goto((built / "site" / path).as_uri() + (f"?{query}" if query else ""))
        phone.wait_for_load_state("load")
        width = phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], (rel, width)
    assert phone.errors == []


def test_amounts_are_cards_on_a_phone(phone, built):
    phone.goto((built / "site" / "rules" / "kyoryoku-iryokikan-renkei-kasan.html").as_uri())
    cells = phone.query_selector_all("table.amounts tr.dated:first-child td")
    widths = [c.bounding_box()["width"] for c in cells]
    assert min(widths) > 300, widths  # every cell a full-width line of its card, the period too
    label = phone.evaluate("getComputedStyle(document.querySelector('table.amounts td'), '::before').content")
    assert label == '"区分"'


# --------------------------------------------------------------------------- in force on a date


def test_rule_page_shows_what_is_in_force_today_and_on_a_picked_date(page, built):
    page.goto((built / "site" / "rules" / "kyoryoku-iryokikan-renkei-kasan.html").as_uri())
    today = page.evaluate("window.kaigoPage.today()")
    assert today == dt.date.today().isoformat() and page.input_value("input.asof-date") == today

    def state():
        rows = page.query_selector_all("tr.dated")
        return [(r.get_attribute("data-from"), r.get_attribute("data-until"), "in-force" in r.get_attribute("class"),
                 r.query_selector(".asof-badge").inner_text() if r.query_selector(".asof-badge").is_visible() else "")
                for r in rows]

    for start, until, on, badge in state():
        expected = (not start or start <= today) and (not until or today <= until)
        assert on == expected and badge == ("現在" if expected else "")
    page.fill("input.asof-date", "2025-01-01")
    page.dispatch_event("input.asof-date", "change")
    rows = state()
    assert ("2024-04-01", "2025-03-31", True, "令和7年1月1日時点") in rows
    assert ("2025-04-01", "", False, "") in rows
    page.click("button.asof-today")
    assert page.input_value("input.asof-date") == today


def test_obligation_status_on_a_date(page, built):
    page.goto((built / "site" / "rules" / "kyoryoku-iryokikan-yoken.html").as_uri() + "?on=2026-01-01")
    duty = page.query_selector("li.dated-obligation[data-from='2027-04-01']")
    assert duty.get_attribute("data-status") == "transition"
    assert duty.query_selector(".asof-badge[data-status=transition]").is_visible()
    page.fill("input.asof-date", "2027-04-01")
    page.dispatch_event("input.asof-date", "change")
    assert duty.get_attribute("data-status") == "in_force"
    assert duty.query_selector(".asof-badge[data-status=in_force]").inner_text() == "令和9年4月1日時点"


def test_service_page_lists_the_amounts_for_that_service(page, built):
    page.goto((built / "site" / "services" / "tokuyo.html").as_uri() + "?on=2025-04-01")
    section = page.query_selector(".service-rules li:has(a:text('協力医療機関連携加算'))")
    in_force = [r.query_selector("td.num").inner_text().split()[0] for r in section.query_selector_all("tr.in-force")]
    assert in_force == ["50単位/月", "5単位/月"]


def test_results_are_cut_like_the_cli(page, built, corpus):
    """static/results.js mirrors kb.search.present: the same headline and snippet window."""
    from kb.search.present import HEADLINE_CHARS, shorten, window

    home(page, built)
    texts = [q.answer for q in corpus.qas] + [c.display for c in corpus.clauses[::25]]
    for text in texts:
        for first in (None, len(text) // 3, len(text) - 5):
            js = page.evaluate("a => window.kaigoPresent.window(a[0], a[1], 200)", [text, first])
            assert tuple(js) == window(text, first, 200), (text[:40], first)
        assert page.evaluate("a => window.kaigoPresent.shorten(a[0], a[1])", [text, HEADLINE_CHARS]) == \
            shorten(text, HEADLINE_CHARS)


def test_searched_words_are_marked_like_the_cli(page, built, corpus):
    """static/page.js ranges() and kb.search.present.ranges (the CLI's snippets) mark the same spans."""
    from kb.search.present import ranges

    home(page, built)
    texts = [q.answer for q in corpus.qas] + [c.display for c in corpus.clauses[::25]]
    marks = [["協力医療機関", "会議"], ["算定", "ショートステイ", "短期入所生活介護"], ["ict", "1", "要件"], ["ii", "加算"]]
    for text in texts:
        for m in marks:
            js = page.evaluate("a => window.kaigoPage.ranges(a[0], a[1])", [text, m])
            assert [tuple(r) for r in js] == ranges(text, m), (text[:40], m)


def test_category_filters_agree_with_the_cli(page, built):
    from kb.search.searcher import Filters, Searcher

    home(page, built)
    searcher = Searcher(built / "index")
    for kind in ("Q&A", "加算・基準", "事務連絡", "自治体資料"):
        browser = [h["id"] for h in page.evaluate("k => window.kaigoSearch('協力医療機関 会議', 10, {kind: k})", kind)]
        cli = [h.id for h in searcher.search("協力医療機関 会議", 10, Filters(kind=kind)).hits]
        assert browser and set(browser) == set(cli), kind


def test_no_sideways_scrolling_on_a_phone_on_the_workbook_pages(phone, real_build, real_corpus):
    """The pages the workbook brings: a ruling with amendments and earlier rulings, a search with
    earlier rulings under a hit, the long volume list, a service with the common rulings."""
    amending = next(q for q in real_corpus.qas if real_corpus.links_from(q.id))
    repeated = next(qid for qid, group in real_corpus.repeats.items() if group[0] == qid)
    site = real_build[1] / "site"
    for rel in (f"qa/{amending.id}.html", f"qa/{repeated}.html", "volumes.html", "services/tsusho.html",
                "index.html?q=" + quote("事業悪化 賃金水準 引き下げ")):
        path, _, query = rel.partition("?")
        phone.goto((site / path).as_uri() + (f"?{query}" if query else ""))
        phone.wait_for_load_state("load")
        width = phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], (rel, width)
    assert phone.errors == []


# --------------------------------------------------------------------------- rulings by volume, the data's date


def test_a_service_lists_its_rulings_by_volume_and_a_tap_reaches_each_ruling(phone, built):
    """Service page -> one of its volumes (a page of its own) -> a ruling, tapped on a phone."""
    phone.goto((built / "site" / "services" / "tokuyo.html").as_uri())
    first = phone.locator("ul.volume-list li a").first
    counted = phone.locator("ul.volume-list li .meta", has_text="問").first.inner_text()
    with phone.expect_navigation():
        first.tap()
    assert "/services/tokuyo/" in phone.url
    rulings = phone.locator("article.volume-part a[href*='qa/']")
    assert rulings.count() == int(counted.split()[0])
    title = rulings.first.inner_text()
    with phone.expect_navigation():
        rulings.first.tap()
    assert "/qa/" in phone.url and phone.locator("#citation").is_visible(), title


def test_every_page_leads_to_the_data_date_on_the_home_page(page, built, corpus):
    from kb.site.views import build_stamp

    page.goto((built / "site" / "qa" / "r6-qa-vol1-q127.html").as_uri())
    assert page.locator(".site-footer .stamp").inner_text().count("ホーム") == 1
    with page.expect_navigation():
        page.click(".site-footer .stamp a")
    assert page.url.endswith("index.html#data-date")
    assert page.locator("#data-date").inner_text() == build_stamp(corpus).label
    page.emulate_media(media="print")
    assert page.locator("#data-date").is_visible()  # a printed home page says how current it is
