
from kb.corpus.documents import Document
from kb.corpus.load import build_corpus

EXPECTED = {  # id: (volume, number, date, question starts, answer starts)
    "r6-qa-vol1-q127": (1, 127, "2024-03-15", "協力医療機関連携加算について、入所者の病歴等", "職種は問わない"),
    "r6-qa-vol1-q151": (1, 151, "2024-03-15", "要支援２について算定できるのか", "要支援者については"),
    "r6-qa-vol1-q152": (1, 152, "2024-03-15", "協力医療機関連携加算は、グループホームのショートステイ", "加算制度は"),
    "r6-qa-vol1-q153": (1, 153, "2024-03-15", "退居時情報提供加算は、グループホームのショートステイ", "本加算制度は"),
    "r6-qa-vol2-q13": (2, 13, "2024-03-19", "基準省令に規定する要件全て", "差し支えない。"),
    "r6-qa-vol2-q18": (2, 18, "2024-03-19", "同一医療機関に入退院を繰り返す", "同一月に再入院する場合は"),
    "r6-qa-vol3-q2": (3, 2, "2024-03-29", "退所時情報提供加算及び退居時情報提供加算について", "算定可能。"),
    "r6-qa-vol3-q3": (3, 3, "2024-03-29", "協力医療機関連携加算について、｢電子的システム", "例えば、都道府県が"),
    "r6-qa-vol7-q1": (7, 1, "2024-06-07", "協力医療機関連携加算について、「入所者の同意", "協力医療機関連携加算は、高齢者施設等"),
}


def test_every_seed_ruling_exactly_once(corpus):
    ids = [q.id for q in corpus.qas]
    assert len(ids) == len(set(ids))
    for qid, (vol, num, date, q_start, a_start) in EXPECTED.items():
        qa = corpus.qas_by_id[qid]
        assert (qa.volume, qa.number, qa.date) == (vol, num, date)
        assert qa.question.startswith(q_start), qa.question[:40]
        assert qa.answer.startswith(a_start), qa.answer[:40]
        assert "答" not in qa.question[:3] and not qa.answer.startswith("問")
        assert qa.series == "令和６年度介護報酬改定に関するＱ＆Ａ"
        assert [x.doc_id for x in qa.quoted_in] == ["guide-kyoryoku-iryokikan-joho-teikyo"]


def test_q127_answer_mislabelled_as_question_is_split(corpus):
    qa = corpus.qas_by_id["r6-qa-vol1-q127"]
    assert qa.question.endswith("どんな職種を想定しているか。")
    assert qa.answer.startswith("職種は問わない") and qa.answer.endswith("出席すること。")
    assert qa.citation == "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127"


def test_vol16_ruling_without_number(corpus):
    [qa] = [q for q in corpus.qas if q.volume == 16]
    assert qa.number is None and qa.date == "2025-09-05"
    assert qa.question.startswith("介護老人保健施設は、基準省令において")
    assert qa.answer.startswith("貴見のとおり。")
    assert "軽費老人ホームについても" in qa.answer  # the ※ note belongs to the answer
    assert qa.service == "居住系サービス・施設系サービス" and qa.topic == "協力医療機関について"
    assert qa.quoted_in[0].doc_id == "jma-2025-09-05-r6-kaigo-qa-vol16"


def test_shizuoka_reply_is_a_record_of_its_own(corpus):
    [qa] = [q for q in corpus.qas if "静岡市" in q.series]
    assert qa.volume is None and qa.number is None
    assert qa.question.startswith("令和６年度介護報酬改定により新設された「退所時情報提供加算（Ⅱ）」")
    assert qa.answer.startswith("ここでいう「医療機関」とは、「病院・診療所」のみを指し")
    assert "なお、「医療機関」について" not in (qa.question + qa.answer)
    assert len(corpus.qas) == 11


def test_service_and_topic_headings(corpus):
    qa = corpus.qas_by_id["r6-qa-vol1-q153"]
    assert (qa.service, qa.topic) == ("認知症対応型共同生活介護", "退居時情報提供加算について")
    qa = corpus.qas_by_id["r6-qa-vol2-q18"]
    assert qa.service.endswith("認知症対応型共同生活介護")  # heading broken over two PDF lines


QUOTE = """「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」より
【認知症対応型共同生活介護】
○退居時情報提供加算について
問153 退居時情報提供加算は、グループホームのショートステイ利用者は対象となるか。
答153 対象とならない。
"""


def test_same_ruling_quoted_twice_is_one_record_with_two_links():
    docs = [Document(id=f"guide-{n}", title=f"手引き{n}", kind="自治体資料", text=f"前書き{n}。\n\n" + QUOTE)
            for n in (1, 2)]
    c = build_corpus(docs)
    [qa] = c.qas
    assert qa.id == "r6-qa-vol1-q153"
    assert [x.doc_id for x in qa.quoted_in] == ["guide-1", "guide-2"]


def test_a_volume_document_owns_its_rulings():
    text = "【通所系サービス】\n○ 入浴介助加算について\n問１ 何か。\n（答）\nこうである。\n問２ 次は。\n（答）\nそうである。\n"
    vol = Document(id="r6-kaigo-qa-vol17", title="令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）", kind="Q&A",
                   text=text, date="2025-10-01", series="令和６年度介護報酬改定に関するＱ＆Ａ", volume=17)
    guide = Document(id="guide-x", title="手引き", kind="自治体資料",
                     text="「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）（令和７年10月1日）」より\n問２ 次は。\n答２ そうである。\n")
    c = build_corpus([vol, guide])
    q2 = c.qas_by_id["r6-qa-vol17-q2"]
    assert q2.source_doc == "r6-kaigo-qa-vol17" and q2.doc_id == "r6-kaigo-qa-vol17"
    assert [x.doc_id for x in q2.quoted_in] == ["guide-x"]
    assert c.qas_by_id["r6-qa-vol17-q1"].answer == "こうである。"
    assert q2.service == "通所系サービス" and q2.topic == "入浴介助加算について"


def test_citation_as_the_source_prints_it(corpus):
    # the guide prints Vol.１ and 令和６年３月 15 日 (PDF spaces are not part of the title)
    assert corpus.qas_by_id["r6-qa-vol1-q127"].citation == \
        "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１）（令和６年３月15日）」問127"
    # Vol.16's notice prints 令和７年９月５日, and so does its citation
    [vol16] = [q for q in corpus.qas if q.volume == 16]
    assert vol16.citation == "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.16）（令和７年９月５日）」"
    assert vol16.date == "2025-09-05" and vol16.date_shown == "令和７年９月５日"


def test_one_printed_form_per_volume():
    """The guide prints Vol.2 once and Vol.２ once: every ruling of the volume is cited
    alike, in the full-width form of MHLW's titles; the date is kept ISO in data."""
    quote = "「令和６年度介護報酬改定に関するＱ＆Ａ（{v}）（令和６年３月19日）」より\n問{n} 何か。\n答{n} こうである。\n"
    guide = Document(id="guide-x", title="手引き", kind="自治体資料",
                     text=quote.format(v="Vol.2", n=13) + "\n" + quote.format(v="Vol.２", n=18))
    c = build_corpus([guide])
    cites = {q.number: q.citation for q in c.qas}
    assert cites == {13: "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.２）（令和６年３月19日）」問13",
                     18: "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.２）（令和６年３月19日）」問18"}
    assert {q.date for q in c.qas} == {"2024-03-19"}


def test_a_volume_document_prints_its_own_label_and_a_quote_fills_in_the_date():
    vol = Document(id="r6-kaigo-qa-vol17", title="令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）", kind="Q&A",
                   text="問１ 何か。\n（答）\nこうである。\n", date="2025-10-01",
                   series="令和６年度介護報酬改定に関するＱ＆Ａ", volume=17)
    guide = Document(id="guide-x", title="手引き", kind="自治体資料",
                     text="「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.１７）（令和７年10月１日）」より\n問１ 何か。\n答１ こうである。\n")
    [q] = build_corpus([vol, guide]).qas
    assert q.citation == "「令和６年度介護報酬改定に関するＱ＆Ａ（Vol.17）（令和７年10月１日）」問1"
