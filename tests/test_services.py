"""The controlled list of services: look-ups, groups, and validation errors."""
from pathlib import Path

import pytest

from kb.rules.services import load_services
from kb.sources.files import DataError

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

DOMAIN_SERVICES = [
    "介護老人福祉施設", "地域密着型介護老人福祉施設入所者生活介護", "介護老人保健施設", "介護医療院",
    "特定施設入居者生活介護", "地域密着型特定施設入居者生活介護", "認知症対応型共同生活介護", "養護老人ホーム",
    "軽費老人ホーム", "短期入所生活介護", "短期入所療養介護", "通所介護", "通所リハビリテーション", "訪問介護",
    "訪問看護", "訪問リハビリテーション", "居宅介護支援", "小規模多機能型居宅介護", "看護小規模多機能型居宅介護",
    "定期巡回・随時対応型訪問介護看護", "地域包括支援センター",
]


@pytest.fixture(scope="module")
def services():
    return load_services(CORPUS)


def test_every_domain_service_is_listed_with_an_ascii_id(services):
    names = {s.name: s for s in services.all() if s.kind == "service"}
    for name in DOMAIN_SERVICES:
        assert name in names, name
        assert names[name].id.isascii()


@pytest.mark.parametrize("typed, official", [
    ("GH", "認知症対応型共同生活介護"), ("ｇｈ", "認知症対応型共同生活介護"), ("Ｇ Ｈ", "認知症対応型共同生活介護"),
    ("グループホーム", "認知症対応型共同生活介護"), ("特養", "介護老人福祉施設"),
    ("特別養護老人ホーム", "介護老人福祉施設"), ("地密特養", "地域密着型介護老人福祉施設入所者生活介護"),
    ("老健", "介護老人保健施設"), ("医療院", "介護医療院"), ("介護付き有料", "特定施設入居者生活介護"),
    ("ショートステイ", "短期入所生活介護"), ("ＳＳ", "短期入所生活介護"), ("医療型ショート", "短期入所療養介護"),
    ("デイ", "通所介護"), ("デイケア", "通所リハビリテーション"), ("ヘルパー", "訪問介護"), ("訪看", "訪問看護"),
    ("ケアマネ事業所", "居宅介護支援"), ("小多機", "小規模多機能型居宅介護"), ("複合型サービス", "看護小規模多機能型居宅介護"),
    ("定期巡回", "定期巡回・随時対応型訪問介護看護"), ("包括", "地域包括支援センター"), ("ケアハウス", "軽費老人ホーム"),
    ("養護", "養護老人ホーム"), ("介護老人保健施設", "介護老人保健施設"), ("高齢者施設等", "高齢者施設等"),
])
def test_resolve_official_names_and_abbreviations(services, typed, official):
    assert services.resolve(typed) == official


def test_resolve_unknown_is_none(services):
    assert services.resolve("宇宙ステーション") is None
    assert services.resolve("") is None


def test_groups_and_members(services):
    assert services.is_group("介護保険施設等") and not services.is_group("特養")
    assert services.members("介護保険施設") == ["介護老人福祉施設", "介護老人保健施設", "介護医療院"]
    assert services.members("介護保険施設等") == [
        "介護老人福祉施設", "介護老人保健施設", "介護医療院", "地域密着型介護老人福祉施設入所者生活介護"]
    wide = services.members("高齢者施設等")
    for name in ("特定施設入居者生活介護", "地域密着型特定施設入居者生活介護", "認知症対応型共同生活介護",
                 "養護老人ホーム", "軽費老人ホーム", "介護医療院"):
        assert name in wide
    assert "介護予防認知症対応型共同生活介護" not in wide
    assert services.members("特養") == []
    assert "養護" in services.get("高齢者施設等").note  # the 001 vs 003 difference is recorded


def test_groups_of_is_transitive(services):
    # 全サービス (the workbook's 01 全サービス共通) holds 介護保険施設, so 特養 is in it through that group
    assert services.groups_of("特養") == ["介護保険施設", "介護保険施設等", "高齢者施設等", "全サービス"]
    assert services.groups_of("地密特養") == ["介護保険施設等", "高齢者施設等", "地域密着型サービス", "全サービス"]
    assert services.groups_of("GH") == ["高齢者施設等", "地域密着型サービス", "全サービス"]
    assert services.groups_of("予防GH") == ["地域密着型サービス", "全サービス"]
    assert services.groups_of("介護保険施設") == ["介護保険施設等", "高齢者施設等", "全サービス"]
    assert services.groups_of("デイ") == ["居宅サービス", "通所系サービス", "全サービス"]


def test_covers(services):
    assert services.covers("高齢者施設等", "特養")
    assert services.covers("介護保険施設等", "地密特養")
    assert not services.covers("介護保険施設", "地密特養")
    assert services.covers("認知症対応型共同生活介護", "GH")
    assert not services.covers("認知症対応型共同生活介護", "予防GH")
    assert not services.covers("特養", "高齢者施設等")  # a member does not cover its group
    assert not services.covers("宇宙", "特養")


def test_aliases(services):
    assert "特養" in services.aliases("介護老人福祉施設")
    assert "GH" in services.aliases("GH")
    assert services.aliases("nothing") == []


def _write(tmp_path, text):
    (tmp_path / "services.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="services.toml"):
        load_services(tmp_path)


def test_term_used_twice_names_file_and_field(tmp_path):
    _write(tmp_path, '[[service]]\nid = "aa"\nname = "甲"\naliases = ["X"]\n'
                     '[[service]]\nid = "bb"\nname = "乙"\naliases = ["ｘ"]\n')
    with pytest.raises(DataError) as e:
        load_services(tmp_path)
    assert "services.toml: field 'service[1].aliases[0]'" in str(e.value)


def test_unknown_member_and_cycle(tmp_path):
    _write(tmp_path, '[[service]]\nid = "aa"\nname = "甲"\n[[group]]\nid = "gg"\nname = "群"\nmembers = ["丙"]\n')
    with pytest.raises(DataError, match=r"group\[0\]\.members\[0\]"):
        load_services(tmp_path)
    _write(tmp_path, '[[service]]\nid = "aa"\nname = "甲"\n'
                     '[[group]]\nid = "gg"\nname = "群"\nmembers = ["群2"]\n'
                     '[[group]]\nid = "hh"\nname = "群2"\nmembers = ["群", "甲"]\n')
    with pytest.raises(DataError, match="contains itself"):
        load_services(tmp_path)


def test_schema_error_names_field(tmp_path):
    _write(tmp_path, '[[service]]\nid = "Bad Id"\nname = "甲"\n')
    with pytest.raises(DataError, match=r"field 'service\[0\]\.id'"):
        load_services(tmp_path)
