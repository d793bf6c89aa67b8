"""The static site: every page well-formed, linked, self-contained, deterministic, escaped."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from kb.search.inputs import load_inputs
from kb.search.units import build_units
from kb.site.render import render_site

ROOT = Path(__file__).resolve().parents[1]
XSS = ROOT / "tests" / "fixtures" / "xss"
TINY = ROOT / "tests" / "fixtures" / "tiny"


def render(corpus_dir: Path, out: Path) -> Path:
    from kb.search import analysis

    analysis.configure(None)  # the system dictionary alone: the same pages whatever ran before
    i = load_inputs(corpus_dir)
    out.mkdir(parents=True)
    render_site(i, build_units(i.corpus, i.rules, i.services), out)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return render(ROOT / "corpus", tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory) -> Path:
    return render(XSS, tmp_path_factory.mktemp("xss") / "site")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []  # what a reader sees (no attributes, no scripts)
        self._script = False

    def handle_data(self, data):
        if not self._script:
            self.text.append(data)

    def handle_endtag(self, tag):
        self._script = False if tag in ("script", "style") else self._script

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._script = tag in ("script", "style")
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(a["id"])
        for name in ("href", "src", "action", "poster", "srcset", "data"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name]))


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_kind_of_page_exists(site):
    names = {p.relative_to(site).as_posix() for p in pages(site)}
    assert {"index.html", "volumes.html", "glossary.html", "docs/index.html"} <= names
    assert "qa/r6-qa-vol1-q127.html" in names
    assert "docs/guide-kyoryoku-iryokikan-joho-teikyo.html" in names
    assert any(n.startswith("rules/") for n in names) and any(n.startswith("services/") for n in names)
    assert (site / "search-index.js").read_text(encoding="utf-8").startswith("window.KAIGO_INDEX=")


def test_every_page_declares_utf8_and_japanese(site, xss_site):
    for root in (site, xss_site):
        for p in pages(root):
            text = p.read_text(encoding="utf-8")
            assert '<meta charset="utf-8">' in text[:300], p
            assert '<html lang="ja">' in text[:100], p
            for tag, a in parse(p).tags:
                if tag == "script":
                    assert a.get("charset") == "utf-8" and a.get("src"), (p, a)  # no inline scripts
                    assert a.get("type") is None, (p, a)  # no module scripts


def test_no_broken_links_or_anchors(site, xss_site):
    for root in (site, xss_site):
        parsed = {p: parse(p) for p in pages(root)}
        broken = []
        for p, page in parsed.items():
            for tag, attr, value in page.refs:
                url = urlsplit(value)
                assert not url.scheme and not url.netloc, f"{p}: {tag} {attr}={value} is not relative"
                target = (p.parent / unquote(url.path)).resolve() if url.path else p
                if not target.exists():
                    broken.append(f"{p.relative_to(root)}: {value}")
                    continue
                if url.fragment and target.suffix == ".html":
                    ids = parsed[target].ids if target in parsed else parse(target).ids
                    if unquote(url.fragment) not in ids:
                        broken.append(f"{p.relative_to(root)}: {value} (no anchor)")
        assert broken == []


def test_every_clause_is_anchored(site):
    from kb.corpus.load import load_corpus

    corpus = load_corpus(ROOT / "corpus")
    for doc in corpus.documents:
        ids = parse(site / "docs" / f"{doc.id}.html").ids
        missing = [c.id for c in corpus.clauses_of(doc.id) if c.id not in ids]
        assert missing == [], doc.id


def test_no_external_resources(site):
    for p in [*pages(site), *site.rglob("*.css"), *site.rglob("*.js")]:
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".html":
            assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I), p
            assert "@import" not in text
        elif p.suffix == ".css":
            assert not re.search(r"url\(|@import|https?://", text), p
        elif p.name not in ("search-index.js", "search-text.js"):  # document text (and URLs) as data
            assert not re.search(r"\b(?:fetch|XMLHttpRequest|WebAssembly|import\s*\()", text), p


def test_two_renders_are_byte_identical(site, tmp_path):
    again = render(ROOT / "corpus", tmp_path / "again")
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_xss_fixture_is_escaped(xss_site):
    for p in pages(xss_site):
        text = p.read_text(encoding="utf-8")
        assert "<script>alert" not in text, p
        assert "<img" not in text, p
        assert "<b>発出者" not in text, p
        assert "<svg" not in text, p
    doc = (xss_site / "docs" / "xss-doc.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in doc
    assert "&#34;&gt;&lt;img src=x onerror=alert(&#39;text&#39;)&gt;" in doc


def test_qa_page_has_citation_question_answer_and_quotes(site):
    html = (site / "qa" / "r6-qa-vol1-q127.html").read_text(encoding="utf-8")
    assert "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127" in html
    assert 'data-copy="citation"' in html
    from kb.corpus.load import load_corpus

    quote = load_corpus(ROOT / "corpus").qas_by_id["r6-qa-vol1-q127"].quoted_in[0]
    assert f'href="../docs/{quote.doc_id}.html#{quote.clause_id}"' in html


def test_index_payload_is_consistent(site):
    text = (site / "search-index.js").read_text(encoding="utf-8")
    data = json.loads(text[len("window.KAIGO_INDEX="):].rstrip().rstrip(";"))
    n = len(data["units"]["id"])
    assert all(len(col) == n for col in data["units"].values())
    assert len(data["post"]) == len(data["fields"]) and all(len(p["ends"]) == len(data["terms"]) for p in data["post"])
    assert "r6-qa-vol1-q152" in data["units"]["id"]
    assert not any(i.startswith("guide-") and ":" in i and data["units"]["kind"][k] == data["kinds"].index("qa")
                   for k, i in enumerate(data["units"]["id"]))
    texts = (site / "search-text.js").read_text(encoding="utf-8")
    assert texts.startswith("window.KAIGO_TEXT=")
    shown = json.loads(texts[len("window.KAIGO_TEXT="):].rstrip().rstrip(";"))
    assert set(shown) == {"text", "q", "head", "date", "ref", "topic", "src"}
    assert all(len(col) == n for col in shown.values())
    # what a hit shows is the text as printed: (Ⅱ) and full-width digits are not normalized away
    assert any("（Ⅱ）" in t for t in shown["text"]) and any("１" in t for t in shown["text"])
    q127 = data["units"]["id"].index("r6-qa-vol1-q127")
    assert shown["text"][q127].startswith("職種は問わない") and shown["q"][q127].startswith("協力医療機関連携加算について")
    assert (shown["ref"][q127], shown["date"][q127]) == ("Vol.1 問127", "令和６年３月15日")
    assert data["cats"][data["units"]["cat"][q127]] == "Q&A"
    # every posting points at a unit, in order: gaps from -1, as varints
    for field in data["post"]:
        for t in range(len(data["terms"])):
            units, tfs = browser_postings(field, t)
            assert units == sorted(set(units)) and all(0 <= u < n for u in units) and all(tf >= 1 for tf in tfs)


def browser_postings(field: dict, t: int) -> tuple[list[int], list[int]]:
    """Term ``t``'s postings in a field of search-index.js (units, tfs), read as search.js reads them."""
    import base64

    data = base64.b64decode(field["data"])
    j, end = field["ends"][t - 1] if t else 0, field["ends"][t]
    units, tfs, u = [], [], -1

    def varint() -> int:
        nonlocal j
        x = shift = 0
        while True:
            c = data[j]
            j += 1
            x |= (c & 127) << shift
            shift += 7
            if not c & 128:
                return x
    while j < end:
        head = varint()
        u += head >> 1
        units.append(u)
        tfs.append(varint() if head & 1 else 1)
    return units, tfs


def test_browser_postings_are_the_index_postings():
    """The browser's postings of each field are the units' postings, tfs and all, whatever their
    gaps and tfs (one byte or several)."""
    from array import array

    from kb.site.browser_index import _field_postings

    post = {"a": (array("I", [0, 5, 300, 20000, 3_000_000]), array("I", [1, 2, 1, 130, 1])),
            "c": (array("I", [7]), array("I", [1]))}
    terms = ["a", "b", "c", "d"]
    field = _field_postings(post, terms)
    for t, term in enumerate(terms):
        want = (list(post[term][0]), list(post[term][1])) if term in post else ([], [])
        assert browser_postings(field, t) == want
    assert _field_postings({}, terms) == {"ends": [0, 0, 0, 0], "data": ""}


def test_service_page_lists_rulings_of_its_groups_and_rules(site):
    from kb.site.paths import qa_path, service_path, service_volume_path

    page = (site / service_path("tokuyo")).read_text(encoding="utf-8")
    assert "介護保険施設等" in page  # group membership
    assert "協力医療機関連携加算" in page  # a rule stated for the service
    # its rulings per volume, a page each (a service's rulings of every volume would be megabytes)
    vol1 = service_volume_path("tokuyo", "r6-qa", 1)
    assert f'href="../{vol1}"' in page
    # Vol.1 問127 never names 特養: it is listed through the rule it is linked to
    assert f'href="../../{qa_path("r6-qa-vol1-q127")}"' in (site / vol1).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    return render(TINY, tmp_path_factory.mktemp("tiny") / "site")


def test_no_iso_dates_or_field_names_reach_readers(site):
    for p in pages(site):
        text = " ".join(parse(p).text)
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), (p, re.search(r".{30}\d{4}-\d{2}-\d{2}.{10}", text))
        assert not re.search(r"effective_|transition_until|\bsection\b", text), p


def test_every_page_has_a_search_box(site):
    for p in pages(site):
        forms = [a for tag, a in parse(p).tags if tag == "form" and a.get("role") == "search"]
        boxes = [a for tag, a in parse(p).tags if tag == "input" and a.get("name") == "q"]
        assert len(forms) == 1 and len(boxes) == 1, p
        assert forms[0]["action"].endswith("index.html"), p


def test_filters_in_japanese_in_the_order_people_think_of(site):
    page = parse(site / "index.html")
    options: dict[str, list[tuple[str, str]]] = {}
    current = None
    for tag, a in page.tags:
        if tag == "select":
            current = options.setdefault(a["name"], [])
        elif tag == "option" and current is not None:
            current.append(a.get("value", ""))
    kinds = options["kind"][1:]
    assert kinds[:2] == ["Q&A", "加算・基準"] and "事務連絡" in kinds and "自治体資料" in kinds
    assert not [k for k in kinds if re.fullmatch(r"[a-z-]+", k)]  # no internal kinds (section …)
    services = options["service"][1:]
    assert services[:4] == ["介護老人福祉施設", "地域密着型介護老人福祉施設入所者生活介護", "介護老人保健施設", "介護医療院"]
    html = (site / "index.html").read_text(encoding="utf-8")
    assert ">特養（介護老人福祉施設）</option>" in html and ">デイサービス（通所介護）</option>" in html
    assert services.index("介護保険施設等") > services.index("通所介護")  # group terms after the services


def test_qa_pages_say_where_the_text_was_quoted_from(site):
    q127 = (site / "qa" / "r6-qa-vol1-q127.html").read_text(encoding="utf-8").split("<footer")[0]
    assert "原典（令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１））ではなく、自治体資料「（８）協力医療機関" in q127
    assert "（令和６年３月15日）" in q127 and "令和6年3月15日" not in q127
    [vol16] = [p for p in (site / "qa").glob("r6-qa-vol16-*.html")]
    text = vol16.read_text(encoding="utf-8").split("<footer")[0]
    assert "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.16）（令和７年９月５日）」" in text
    assert "令和7年9月5日" not in text and "団体通知「高齢者施設等が定める協力医療機関" in text


def test_volumes_say_what_the_corpus_holds_and_mark_the_newest(site):
    home = " ".join(parse(site / "index.html").text)
    assert "巻の全問ではありません" in home
    assert re.search(r"Ｑ＆Ａ（Vol\.１）\s*令和６年３月15日\s*収録 4 問（自治体資料での引用から）", home), home[:2000]
    vols = (site / "volumes.html").read_text(encoding="utf-8")
    assert vols.count("新着") == 1
    assert re.search(r'新着</span> <a href="volumes/r6-qa-vol16.html">令和６年度介護報酬改定に関するＱ＆Ａ（Vol.16）', vols)
    vol16 = (site / "volumes" / "r6-qa-vol16.html").read_text(encoding="utf-8")  # its rulings on its own page
    assert vol16.count("新着") == 1 and 'href="../qa/r6-qa-vol16-' in vol16


def test_footer_says_which_date_the_build_shows(site, corpus):
    import os

    from kb.site.views import build_stamp

    newest = build_stamp(corpus, {})
    assert newest.date == "2025-09-05" and newest.label.startswith("収録資料の最新の日付 令和7年9月5日 時点のデータ")
    epoch = build_stamp(corpus, {"SOURCE_DATE_EPOCH": "1767225600"})  # 2026-01-01 UTC
    assert epoch.label == "ビルド日 令和8年1月1日（SOURCE_DATE_EPOCH による）"
    # on the home page only (a new volume would change every page); the footer says where
    assert build_stamp(corpus, os.environ).label in (site / "index.html").read_text(encoding="utf-8")
    q127 = (site / "qa" / "r6-qa-vol1-q127.html").read_text(encoding="utf-8")
    assert build_stamp(corpus, os.environ).label not in q127 and 'href="../index.html#data-date"' in q127


def test_downloads_per_volume_and_per_service(site):
    import csv

    vol1 = (site / "downloads" / "vol-r6-qa-1.csv").read_bytes()
    assert vol1.startswith("\ufeff".encode("utf-8"))  # Excel reads it as UTF-8
    rows = list(csv.DictReader(vol1.decode("utf-8-sig").splitlines()))
    assert [r["問番号"] for r in rows] == ["127", "151", "152", "153"]
    assert rows[0]["引用"] == "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127"
    tokuyo = list(csv.DictReader((site / "downloads" / "service-tokuyo.csv").read_text(encoding="utf-8-sig")
                                 .splitlines()))
    kasan = next(r for r in tokuyo if r["引用"] == "協力医療機関連携加算")
    assert kasan["サービス区分"] == "介護老人福祉施設"
    assert "100" in kasan["単位数"] and "40" not in kasan["単位数"]  # 特養's amounts only (not 特定施設's 40)
    # a service as CSV only (for Excel); as JSON from the CLI (a ruling stands once in the volumes' JSON)
    assert not (site / "downloads" / "service-tokuyo.json").exists()
    service_page = (site / "services" / "tokuyo.html").read_text(encoding="utf-8")
    assert 'href="../downloads/service-tokuyo.csv"' in service_page and "service-tokuyo.json" not in service_page
    assert 'href="downloads/vol-r6-qa-1.json"' in (site / "volumes.html").read_text(encoding="utf-8")


def test_rule_and_service_pages_carry_periods_for_the_date_picker(site):
    page = parse(site / "rules" / "kyoryoku-iryokikan-renkei-kasan.html")
    rows = [(a["data-from"], a["data-until"]) for tag, a in page.tags if tag == "tr" and "data-from" in a]
    assert ("2024-04-01", "2025-03-31") in rows and ("2025-04-01", "") in rows
    assert any(tag == "input" and a.get("type") == "date" for tag, a in page.tags)
    text = " ".join(page.text)
    assert "令和6年4月1日〜令和7年3月31日" in text
    yoken = parse(site / "rules" / "kyoryoku-iryokikan-yoken.html")
    assert any(a.get("data-from") == "2027-04-01" and a.get("data-transition") == "2027-03-31"
               for tag, a in yoken.tags if tag == "li")
    svc = (site / "services" / "gh.html").read_text(encoding="utf-8")
    assert "40単位/月" in svc and "50単位/月" not in svc  # GH's amounts, not 特養's


def test_document_page_shows_url_and_bulletin(tiny_site):
    html = (tiny_site / "docs" / "tiny-qa-vol20.html").read_text(encoding="utf-8")
    assert "介護保険最新情報 Vol.9020" in html and "https://www.example.org/kaigo/qa-vol20.pdf" in html
    assert 'href="https://' not in html  # shown and copyable, never loaded
    qa = (tiny_site / "qa" / "r6-qa-vol20-q1.html").read_text(encoding="utf-8")
    assert "介護保険最新情報 Vol.9020" in qa and "provenance" not in qa  # the volume itself: no quote note


@pytest.mark.parametrize("which", ["seeds", "xss", "seeds and a workbook"])
def test_the_pages_take_from_the_derived_texts_what_they_take_from_the_units(which, tmp_path):
    """kb.build renders the site from the units' facets before the units are made: the same
    categories, 基準種別 and rulings' services (a workbook's rows name and exclude services)."""
    from kb.ingest.workbook import ingest_workbook
    from kb.search.units import derive_units, facets, make_units
    from tests.test_workbook import ROWS
    from tests.workbooks import write_workbook

    corpus = {"seeds": ROOT / "corpus", "xss": XSS}.get(which)
    if corpus is None:
        corpus = tmp_path / "corpus"
        import shutil

        shutil.copytree(ROOT / "corpus", corpus)
        ingest_workbook(write_workbook(tmp_path / "wb.xlsx", ROWS), corpus)
    i = load_inputs(corpus)
    derived = derive_units(i.corpus, i.services)
    got = derived.facets(i.corpus, i.rules, i.services)
    want = facets(make_units(i.corpus, derived, i.rules, i.services))
    assert got == want and want.categories and want.services
    if which == "seeds and a workbook":  # 基準種別, and a row of 全サービス共通 less two services
        assert want.standards and any(len(named) > 10 and "訪問看護" not in named for _id, named in want.services)
