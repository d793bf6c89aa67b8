"""How a hit is shown (kb.search.present): cut where a reader pauses, never mid-word."""
from kb.search.present import clause_category, shorten, shown_text, window

ANSWER = ("要支援者については、「介護予防認知症対応型共同生活介護費」の対象となるが、これについては、"
          "協力医療機関連携加算は設けていないことから、算定できない。")


def test_shorten_cuts_after_a_pause():
    assert shorten("短い問。", 70) == "短い問。"
    cut = shorten(ANSWER, 40)
    assert cut.endswith("、…") and len(cut) <= 41 and ANSWER.startswith(cut[:-1])
    assert shorten("あ" * 100, 40) == "あ" * 40 + "…"  # no pause at all: cut at the limit


def test_window_shows_the_whole_answer_when_it_fits_and_the_sentence_of_a_late_match():
    assert window(ANSWER, ANSWER.index("協力医療機関"), 200) == (0, len(ANSWER))
    text = "前置きの文です。" * 20 + "ここに協力医療機関が出てくる。" + "後の文です。" * 40
    start, end = window(text, text.index("協力医療機関"), 120)
    assert text[start:].startswith("ここに協力医療機関") and text[end - 1] in "。、"
    assert start <= text.index("協力医療機関") < end


def test_shown_text_answer_rule_and_clause():
    assert shown_text("qa", {"answer": "答えの\n文", "text": "問 … 答 …"}) == "答えの文"
    assert shown_text("rule", {"text": "退居時情報提供加算\n介護報酬加算 対象: GH\n250単位/回"}) == \
        "介護報酬加算 対象: GH／250単位/回"
    assert shown_text("paragraph", {"text": "（Ⅱ）を\n算定する"}) == "（Ⅱ）を算定する"  # printed form kept
    assert clause_category("Q&A") == "Q&A資料" and clause_category("事務連絡") == "事務連絡"
