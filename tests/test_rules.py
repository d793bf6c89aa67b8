"""Rule entries: schema, checks against the corpus, as-of-date answers, CLI."""
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.corpus.load import load_corpus
from kb.rules.entries import check_rules, find_rule, in_force, load_rules, number_in, obligation_for, rule_text
from kb.rules.records import rule_dict
from kb.rules.services import load_services
from kb.sources.files import DataError

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
D = dt.date.fromisoformat

REQUIRED = [
    "協力医療機関の要件", "協力医療機関連携加算", "医療機関連携加算", "退所時情報提供加算", "退居時情報提供加算",
    "高齢者施設等感染対策向上加算", "退院時共同指導加算", "協力対象施設入所者入院加算", "介護保険施設等連携往診加算",
    "リハビリテーションマネジメント加算", "リハビリテーションマネジメント計画書情報加算", "個別機能訓練加算",
    "口腔機能向上加算", "入院時情報連携加算", "通院時情報連携加算", "栄養情報提供加算", "地域包括診療料等の要件",
    "入退院支援加算",
]


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def services():
    return load_services(CORPUS)


@pytest.fixture(scope="module")
def rules():
    return load_rules(CORPUS)


def rule_json(*args):
    res = CliRunner().invoke(main, ["rule", *args, "--json", "--corpus", str(CORPUS)])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def levels(rec):
    return {a["level"]: (a["value"], a["unit"], a["per"]) for a in rec["in_force"]}


# --------------------------------------------------------------------------- the real data


def test_real_rules_pass_every_check(corpus, rules, services):
    assert check_rules(corpus, rules, services) == []


def test_coverage_of_issue_4(rules):
    for name in REQUIRED:
        r = find_rule(rules, name)
        assert r is not None and r.name == name, name
    assert [r.id for r in rules] == sorted(r.id for r in rules)


def test_every_fact_cites_a_source(rules):
    for r in rules:
        assert all(a.source for a in r.amounts) and all(q.source for q in r.requirements)
        assert all(o.source for o in r.obligations)
        assert r.amounts or r.requirements, r.id


def test_rules_without_printed_amounts_have_none(rules):
    for name in ("入院時情報連携加算", "通院時情報連携加算", "栄養情報提供加算", "地域包括診療料等の要件", "入退院支援加算",
                 "高齢者施設等感染対策向上加算"):
        assert find_rule(rules, name).amounts == (), name


def test_reha_management_records_both_units_of_i(rules):
    r = find_rule(rules, "リハマネ加算")
    i_first = {(a.value, a.per) for a in r.amounts if a.level == "イ" and "6月以内" in a.condition}
    assert i_first == {(560, "日"), (560, "月")}
    assert any("560単位/日" in n for n in r.notes)
    assert {a.value for a in r.amounts if "説明" in a.condition} == {270}


# --------------------------------------------------------------------------- acceptance (CLI)


def test_kyoryoku_renkei_kasan_tokuyo_fy2025():
    rec = rule_json("協力医療機関連携加算", "--service", "特養", "--on", "2025-04-01")
    assert levels(rec) == {"(1)": (50, "単位", "月"), "(2)": (5, "単位", "月")}
    assert all(a["source"] and a["effective_from"] for a in rec["in_force"])
    assert set(rec["in_force"][0]) >= {"level", "value", "unit", "per", "effective_from", "effective_until", "source"}


def test_kyoryoku_renkei_kasan_tokuyo_fy2024():
    rec = rule_json("協力医療機関連携加算", "--service", "特養", "--on", "2024-06-01")
    assert levels(rec)["(1)"] == (100, "単位", "月")
    assert levels(rec)["(2)"] == (5, "単位", "月")
    assert levels(rule_json("協力医療機関連携加算", "--service", "特養", "--on", "令和7年3月31日"))["(1)"][0] == 100


def test_kyoryoku_renkei_kasan_gh():
    rec = rule_json("協力医療機関連携加算", "--service", "GH")
    assert levels(rec) == {"(1)": (100, "単位", "月"), "(2)": (40, "単位", "月")}
    # 予防GH (要支援2) has no such 加算: an error, not an empty answer (test below)


def test_kyoryoku_iryokikan_effort_for_tokutei():
    ob = rule_json("協力医療機関", "--service", "特定施設")["obligation"]
    assert ob["kind"] == "effort" and ob["source"]


def test_kyoryoku_iryokikan_duty_for_roken():
    rec = rule_json("協力医療機関", "--service", "老健", "--on", "2026-01-01")
    ob = rec["obligation"]
    assert (ob["kind"], ob["effective_from"], ob["transition_until"]) == ("duty", "2027-04-01", "2027-03-31")
    assert ob["status"] == "transition" and ob["source"]
    assert rec["name"] == "協力医療機関の要件"


def test_rules_for_tokuyo_include_group_rules(rules, services):
    res = CliRunner().invoke(main, ["rules", "--service", "特養", "--json", "--corpus", str(CORPUS)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    names = {r["name"] for r in data["rules"]}
    assert data["service"] == "介護老人福祉施設"
    assert "協力医療機関の要件" in names  # stated for 高齢者施設等 only
    assert {"協力医療機関連携加算", "退所時情報提供加算", "高齢者施設等感染対策向上加算", "個別機能訓練加算"} <= names
    assert not names & {"退居時情報提供加算", "リハビリテーションマネジメント加算", "入退院支援加算"}
    expected = {r.name for r in rules if any(services.covers(s, "介護老人福祉施設") for s in
                [*r.services, *(x for a in r.amounts for x in a.services), *(x for o in r.obligations for x in o.services)])}
    assert names == expected


def test_rules_human_listing_and_gh():
    res = CliRunner().invoke(main, ["rules", "--service", "GH", "--corpus", str(CORPUS)])
    assert res.exit_code == 0, res.output
    assert "退居時情報提供加算" in res.output and "退所時情報提供加算" not in res.output
    assert "高齢者施設等" in res.output.splitlines()[0]


def test_rule_human_output_shows_amounts_requirements_and_qas():
    res = CliRunner().invoke(main, ["rule", "協力医療機関連携加算", "--service", "特養", "--on", "2025-04-01",
                                    "--corpus", str(CORPUS)])
    assert res.exit_code == 0, res.output
    assert "50単位/月" in res.output and "100単位" not in res.output.split("要件:")[0]
    assert "問151" in res.output and "問152" in res.output


def test_rules_check_passes_on_real_data():
    res = CliRunner().invoke(main, ["rules", "check", "--corpus", str(CORPUS)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("ok: ")


def test_cli_errors():
    res = CliRunner().invoke(main, ["rule", "存在しない加算", "--corpus", str(CORPUS)])
    assert res.exit_code == 1 and "no rule named" in res.output
    res = CliRunner().invoke(main, ["rule", "協力医療機関連携加算", "--service", "宇宙", "--corpus", str(CORPUS)])
    assert res.exit_code == 2 and "unknown service" in res.output
    res = CliRunner().invoke(main, ["rule", "協力医療機関連携加算", "--on", "someday", "--corpus", str(CORPUS)])
    assert res.exit_code == 2 and "not a date" in res.output


def test_a_partial_name_lists_the_rules_it_matches():
    res = CliRunner().invoke(main, ["rule", "協力", "--corpus", str(CORPUS)])
    assert res.exit_code == 1 and "no rule named" not in res.output
    listed = [ln.split()[0] for ln in res.output.splitlines()[1:]]
    assert listed == ["協力医療機関連携加算", "協力医療機関の要件", "協力対象施設入所者入院加算"]
    res = CliRunner().invoke(main, ["rule", "協力", "--json", "--corpus", str(CORPUS)])
    data = json.loads(res.output)
    assert res.exit_code == 1 and data["kind"] == "rule-candidates" and len(data["rules"]) == 3
    # an id picks one
    assert rule_json("kyoryoku-iryokikan-yoken")["name"] == "協力医療機関の要件"


def test_a_rule_for_a_service_it_does_not_apply_to_is_an_error():
    # 協力医療機関連携加算 is not for 要支援 (介護予防GH: Vol.1 問151) nor for 訪問介護
    for svc in ("介護予防認知症対応型共同生活介護", "訪問介護"):
        res = CliRunner().invoke(main, ["rule", "協力医療機関連携加算", "--service", svc, "--corpus", str(CORPUS)])
        assert res.exit_code == 1, res.output
        assert "does not apply to" in res.output and "認知症対応型共同生活介護" in res.output
    assert rule_json("協力医療機関連携加算", "--service", "GH")["kind"] == "rule"


def test_rule_texts_shown_to_users_have_no_iso_dates_or_field_names(corpus_copy):
    f = corpus_copy / "rules" / "kyoryoku-iryokikan-yoken.toml"
    _edit(f, "(施設系サービスは令和6年4月1日)を開始日とした", "(施設系サービスは2024-04-01) を effective_from とした")
    errors = check_rules(load_corpus(corpus_copy), load_rules(corpus_copy), load_services(corpus_copy))
    assert len(errors) == 1 and "field 'notes[3]': '2024-04-01'" in errors[0] and "和暦" in errors[0]
    for r in load_rules(CORPUS):
        assert not re.search(r"\d{4}-\d{2}-\d{2}|effective_|transition_", rule_text(r)), r.id


@pytest.mark.parametrize("args", [["rule"], ["rules"], ["rules", "check"]])
def test_help_has_an_example(args):
    res = CliRunner().invoke(main, [*args, "--help"])
    assert res.exit_code == 0 and "Example:" in res.output and "kaigo-kb rule" in res.output


# --------------------------------------------------------------------------- checks catch mistakes


@pytest.fixture
def corpus_copy(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path / "corpus"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_corrupted_number_fails_with_file_and_field(corpus_copy):
    f = corpus_copy / "rules" / "kyoryoku-iryokikan-renkei-kasan.toml"
    _edit(f, "value = 50\n", "value = 55\n")
    res = CliRunner().invoke(main, ["rules", "check", "--corpus", str(corpus_copy)])
    assert res.exit_code == 1
    assert re.search(r"kyoryoku-iryokikan-renkei-kasan\.toml: field 'amounts\[1\]\.value': 55 not found in cited "
                     r"clause guide-kyoryoku-iryokikan-joho-teikyo:\S+", res.output), res.output


def test_number_must_be_a_whole_token(corpus_copy):
    # 500 is printed in the cited clause; 50 is not (only as part of 500)
    f = corpus_copy / "rules" / "taisho-ji-joho-teikyo-kasan.toml"
    _edit(f, "value = 500\n", "value = 50\n")
    c, s = load_corpus(corpus_copy), load_services(corpus_copy)
    errors = check_rules(c, load_rules(corpus_copy), s)
    assert len(errors) == 1 and "field 'amounts[0].value': 50 not found" in errors[0]


def test_number_in():
    assert number_in("(1)の50単位(令和7年3月31日までの間は100単位)", 50)
    assert number_in("５０単位", 50)
    assert not number_in("退所時情報提供加算500単位/回", 50)
    assert not number_in("I : 150単位/回", 50)
    assert not number_in("1.50", 50)


def test_unknown_cited_id_and_service(corpus_copy):
    f = corpus_copy / "rules" / "iryokikan-renkei-kasan.toml"
    text = f.read_text(encoding="utf-8")
    text = re.sub(r'source = "[^"]+"', 'source = "no-such-doc:p1"', text, count=1)
    text = text.replace('services = ["特定施設入居者生活介護",', 'services = ["特定施設",', 1)
    f.write_text(text, encoding="utf-8")
    errors = check_rules(load_corpus(corpus_copy), load_rules(corpus_copy), load_services(corpus_copy))
    joined = "\n".join(errors)
    assert "iryokikan-renkei-kasan.toml: field 'amounts[0].source': 'no-such-doc:p1' is not a clause or Q&A id" in joined
    assert "field 'services[0]': '特定施設' is an alias; write the official name '特定施設入居者生活介護'" in joined


def test_overlapping_periods_are_reported(corpus_copy):
    f = corpus_copy / "rules" / "kyoryoku-iryokikan-renkei-kasan.toml"
    _edit(f, "effective_from = 2025-04-01", "effective_from = 2025-03-01")
    errors = check_rules(load_corpus(corpus_copy), load_rules(corpus_copy), load_services(corpus_copy))
    assert any("field 'amounts[1].effective_from': period overlaps amounts[0]" in e for e in errors), errors


def test_schema_errors_name_file_and_field(corpus_copy):
    f = corpus_copy / "rules" / "iryokikan-renkei-kasan.toml"
    _edit(f, 'unit = "単位"', 'unit = "円"')
    with pytest.raises(DataError, match=r"iryokikan-renkei-kasan\.toml: field 'amounts\[0\]\.unit': '円' is not one of"):
        load_rules(corpus_copy)
    res = CliRunner().invoke(main, ["rules", "check", "--corpus", str(corpus_copy)])
    assert res.exit_code == 1 and "field 'amounts[0].unit'" in res.output


def test_schema_unknown_field_and_bad_date(tmp_path):
    (tmp_path / "rules").mkdir()
    f = tmp_path / "rules" / "x-kasan.toml"
    f.write_text('id = "x-kasan"\nname = "X加算"\nkind = "介護報酬加算"\nservices = ["介護医療院"]\ncolour = 1\n',
                 encoding="utf-8")
    with pytest.raises(DataError, match="field 'colour': unknown field"):
        load_rules(tmp_path)
    f.write_text('id = "x-kasan"\nname = "X加算"\nkind = "介護報酬加算"\nservices = ["介護医療院"]\n'
                 '[[amounts]]\nlevel = "(1)"\nvalue = 5\nunit = "単位"\nper = "月"\nsource = "a:b"\n'
                 'effective_from = "2024-13-01"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"field 'amounts\[0\]\.effective_from'"):
        load_rules(tmp_path)
    f.write_text('id = "y-kasan"\nname = "X加算"\nkind = "介護報酬加算"\nservices = ["介護医療院"]\n', encoding="utf-8")
    with pytest.raises(DataError, match="must equal the file name"):
        load_rules(tmp_path)


# --------------------------------------------------------------------------- library


def test_find_rule_normalizes_and_prefers_exact(rules):
    assert find_rule(rules, "ﾘﾊﾏﾈ加算").name == "リハビリテーションマネジメント加算"
    assert find_rule(rules, "リハマネ 加算").name == "リハビリテーションマネジメント加算"
    assert find_rule(rules, "協力医療機関").name == "協力医療機関の要件"  # exact alias beats substrings
    assert find_rule(rules, "連携往診").name == "介護保険施設等連携往診加算"  # unique substring
    assert find_rule(rules, "情報提供加算") is None  # 退所時, 退居時, 栄養: ambiguous
    assert find_rule(rules, "") is None


def test_in_force_by_date_and_service(rules, services):
    k = find_rule(rules, "協力医療機関連携加算")
    assert [a.value for a in in_force(k, D("2025-03-31"), "介護医療院", services) if a.level == "(1)"] == [100]
    assert [a.value for a in in_force(k, D("2025-04-01"), "地域密着型特養", services) if a.level == "(1)"] == [50]
    assert in_force(k, D("2024-03-31"), "特定施設", services) == []
    old = find_rule(rules, "医療機関連携加算")
    assert [a.value for a in in_force(old, D("2024-03-31"), "特定施設", services)] == [80]
    assert in_force(old, D("2024-04-01"), "特定施設", services) == []
    assert len(in_force(k, D("2025-04-01"), None, services)) == 6  # every service's amounts


def test_obligation_for(rules, services):
    y = find_rule(rules, "協力医療機関の要件")
    assert obligation_for(y, "介護老人保健施設", D("2027-04-01"), services)["status"] == "in_force"
    assert obligation_for(y, "養護老人ホーム", D("2025-01-01"), services)["kind"] == "duty"
    assert obligation_for(y, "軽費老人ホーム", D("2025-01-01"), services)["kind"] == "effort"
    assert obligation_for(y, "GH", D("2025-01-01"), services)["kind"] == "effort"
    assert obligation_for(y, "通所介護", D("2025-01-01"), services) is None


def test_rule_dict_and_text(corpus, rules, services):
    k = find_rule(rules, "協力医療機関連携加算")
    rec = rule_dict(k, corpus, on=D("2025-04-01"), service="特養", services=services, all_rules=rules)
    for field in ("id", "name", "reading", "aliases", "kind", "services", "amounts", "requirements", "obligations",
                  "notes", "related_qas", "mentions", "in_force", "obligation", "citation", "title", "text"):
        assert field in rec, field
    assert rec["kind"] == "rule" and rec["rule_kind"] == "介護報酬加算"
    assert {"r6-qa-vol1-q151", "r6-qa-vol1-q152"} <= set(rec["related_qas"])
    assert rec["mentions"]
    json.dumps(rec, ensure_ascii=False)
    text = rule_text(k)
    assert "協力医療機関連携加算" in text and "50単位/月" in text and "40単位/月" in text


def test_stale_clause_id_gets_a_hint(corpus_copy):
    # when segmentation changes, a cited id disappears: the message says where the number is printed now
    f = corpus_copy / "rules" / "iryokikan-renkei-kasan.toml"
    text = f.read_text(encoding="utf-8")
    f.write_text(re.sub(r'source = "r6-zaitaku[^"]+"', 'source = "r6-zaitaku-iryo-kaigo-renkei-gaiyo:gone"', text,
                        count=1), encoding="utf-8")
    errors = check_rules(load_corpus(corpus_copy), load_rules(corpus_copy), load_services(corpus_copy))
    assert len(errors) == 1
    assert re.search(r"field 'amounts\[0\]\.source': .*gone' is not a clause or Q&A id in the corpus; "
                     r"80単位 is printed in: r6-zaitaku-iryo-kaigo-renkei-gaiyo:\S+", errors[0]), errors
