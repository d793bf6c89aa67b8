"""Every thesaurus entry finds text it should: typing the key alone brings up a hit that
says a target (and, where the corpus has such text, one that does not say the key)."""
import re
import tomllib
import unicodedata

import pytest

from tests.conftest import CORPUS, REAL_XLSX

ENTRIES = tomllib.loads((CORPUS / "thesaurus.toml").read_text(encoding="utf-8"))["term"]
LEVELS = {"i", "ii", "iii", "iv", "1", "2", "3", "4"}  # levels: tested in context below


def norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s)).lower()


def says(hit, words) -> bool:
    text = norm(hit.data.get("title", "") + hit.data.get("text", ""))
    return any(norm(w) in text for w in words)


@pytest.fixture(scope="module")
def searchers(searcher, request):
    out = [searcher]
    if REAL_XLSX.exists():
        out.append(request.getfixturevalue("real_searcher"))
    return out


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["key"] not in LEVELS], ids=lambda e: e["key"])
def test_each_entry_finds_text_with_its_targets(entry, searchers):
    key, targets = entry["key"], entry["targets"]
    found_any = False
    for s in searchers:
        hits = s.search(key, limit=20).hits
        if any(says(h, targets) for h in hits):
            found_any = True
            break
    if not found_any and not REAL_XLSX.exists():
        pytest.skip("its text is in the real workbook rows (../shared/real not present)")
    assert found_any, f"{key} -> {targets}: no hit in the top 20 says a target"


@pytest.mark.skipif(not REAL_XLSX.exists(), reason="../shared/real not present")
@pytest.mark.parametrize("key, target", [("育休", "育児休業"), ("サ高住", "サービス付き高齢者向け住宅"),
                                         ("wifi", "Wi-fi"), ("BCP", "業務継続計画"), ("ベア加算", "ベースアップ等支援加算")])
def test_an_abbreviation_finds_text_that_only_has_the_full_term(real_searcher, key, target):
    hits = real_searcher.search(key, limit=10).hits
    assert any(says(h, [target]) and norm(key) not in norm(h.data.get("text", "")) for h in hits)


def test_levels_typed_as_numbers_find_roman_numerals(searcher):
    hits = searcher.search("個別機能訓練加算 2", limit=10).hits
    assert any("(II)" in unicodedata.normalize("NFKC", h.data.get("text", "")) for h in hits)
