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

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
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
    assert len(data["post"]) == len(data["fields"]) and all(len(p) == len(data["terms"]) for p in data["post"])
    assert "r6-qa-vol1-q152" in data["units"]["id"]
    assert not any(i.startswith("guide-") and ":" in i and data["units"]["kind"][k] == data["kinds"].index("qa")
                   for k, i in enumerate(data["units"]["id"]))
    texts = (site / "search-text.js").read_text(encoding="utf-8")
    assert texts.startswith("window.KAIGO_TEXT=")
    assert len(json.loads(texts[len("window.KAIGO_TEXT="):].rstrip().rstrip(";"))) == n
    # every posting points at a unit: gaps from -1, a negative gap followed by its tf
    for field in data["post"]:
        for plist in field:
            u, j = -1, 0
            while j < len(plist):
                u += abs(plist[j])
                j += 1 if plist[j] > 0 else 2
            assert u < n


def test_service_page_lists_rulings_of_its_groups_and_rules(site):
    from kb.site.paths import qa_path, service_path

    page = (site / service_path("tokuyo")).read_text(encoding="utf-8")
    assert "介護保険施設等" in page  # group membership
    assert "協力医療機関連携加算" in page  # a rule stated for the service
    # Vol.1 問127 never names 特養: it is listed through the rule it is linked to
    assert qa_path("r6-qa-vol1-q127").split("/")[-1] in page
