import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.corpus.clauses import segment
from kb.corpus.documents import Document, load_documents
from tests.conftest import CORPUS


def assert_lossless(doc, clauses):
    """Spans cover every non-whitespace character of the source exactly once."""
    covered = [0] * len(doc.text)
    for c in clauses:
        assert 0 <= c.start < c.end <= len(doc.text)
        for i in range(c.start, c.end):
            covered[i] += 1
    for i, ch in enumerate(doc.text):
        if not ch.isspace():
            assert covered[i] == 1, (doc.id, i, ch, covered[i])


def test_seeds_are_split_losslessly():
    for doc in load_documents(CORPUS):
        clauses = segment(doc)
        assert len(clauses) > 10
        assert_lossless(doc, clauses)
        assert len({c.id for c in clauses}) == len(clauses), "ids are unique"


def test_kyoryoku_renkei_notice_items_are_seven_clauses_under_one_heading(corpus):
    items = [c for c in corpus.clauses_of("guide-kyoryoku-iryokikan-joho-teikyo")
             if c.style == "circ" and c.breadcrumb and "協力医療機関連携加算について" in c.breadcrumb[-1]]
    assert [c.label for c in items] == list("①②③④⑤⑥⑦")
    assert len({c.parent for c in items}) == 1
    assert "50 単位" in items[2].display and "100 単位" in items[2].display
    assert items[6].display.strip().startswith("⑦")


def test_structure_of_the_renraku_notice(corpus):
    cl = corpus.clauses_of("r6-jimu-2024-07-05-shisetsu-iryo-renkei")
    heads = [c.title for c in cl if c.kind == "heading" and c.style == "pnum"]
    assert heads[0].startswith("（1）高齢者施設等と協力医療機関") and len(heads) == 3
    p2 = next(c for c in cl if c.title.startswith("(2) 高齢者施設等における感染症対策"))
    bullets = [c for c in cl if c.parent == p2.id and c.style.startswith("md")]
    assert len(bullets) == 2


def test_ids_are_deterministic_and_positional(corpus):
    doc = corpus.docs_by_id["guide-kyoryoku-iryokikan-joho-teikyo"]
    first = [(c.id, c.start, c.end) for c in segment(doc)]
    assert first == [(c.id, c.start, c.end) for c in segment(doc)]
    # a paragraph added at the top shifts nothing under the numbered sections
    changed = Document(**{**doc.__dict__, "text": "追加された前書きの段落です。\n\n" + doc.text})
    ids = {c.id for c in segment(changed)}
    assert all(i in ids for i, _, _ in first[1:])  # every id but the (changed) opening one


def test_breadcrumbs_and_kinds(corpus):
    c = corpus.clauses_by_id[corpus.qas_by_id["r6-qa-vol1-q127"].clause_id]
    assert c.kind == "qa" and c.number == 127
    assert c.breadcrumb[0].startswith("（８）") and c.breadcrumb[-1] == "○ 協力医療機関連携加算について"


MARKERS = ["１．", "（１）", "(2)", "⑴", "①", "ア ", "(イ)", "第一条 ", "○ ", "【見出し】", "・", "- ", "※ ", "問１ ", "答１ ", "1-1. "]
WORDS = ["協力医療機関", "連携", "加算", "について", "算定する。", "入所者", "、", "単位", "を", "定める"]


@st.composite
def structured_text(draw):
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        marker = draw(st.sampled_from(MARKERS + ["", "", ""]))
        body = "".join(draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=8)))
        pad = draw(st.sampled_from(["", " ", "\u3000", "  "]))
        lines.append(pad + marker + body)
        lines.extend([draw(st.sampled_from(["", " ", "\t"]))] * draw(st.integers(0, 2)))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@settings(max_examples=150, deadline=None)
@given(structured_text())
def test_property_segmentation_is_lossless(text):
    if not text.strip():
        return
    doc = Document(id="prop-doc", title="t", kind="通知", text=text)
    clauses = segment(doc)
    assert_lossless(doc, clauses)
    assert len({c.id for c in clauses}) == len(clauses)
    assert all(re.fullmatch(r"prop-doc:[\w.~\-]+", c.id) for c in clauses)


def _seg(text):
    return segment(Document(id="t-doc", title="t", kind="説明資料", text=text))


def test_blank_lines_separate_blocks_in_slide_text():
    text = ("都道府県による支援\n\n- 技術的支援\n- 市町村等の連携\n\n役割分担のイメージ\n\n国の取組み\n\n"
            "①計画作成の支援\n\n②現状分析のための支援\n")
    cl = _seg(text)
    by_title = {c.title: c for c in cl}
    assert by_title["①計画作成の支援"].breadcrumb[-1] == "国の取組み"
    assert by_title["- 市町村等の連携"].breadcrumb[-1] == "都道府県による支援"
    assert "役割分担のイメージ" not in by_title["- 市町村等の連携"].display


def test_pdf_dump_with_a_blank_line_after_every_line_keeps_sentences_whole():
    lines = ["（１）協力医療機関との会議について", "会議では、入所者の情報を共有し、急変時の", "対応を確認する。",
             "（２）記録について", "概要を記録しなければならない。"]
    cl = _seg("\n\n".join(lines) + "\n")
    body = [c for c in cl if c.kind == "paragraph"]
    assert [c.display for c in body][0] == "会議では、入所者の情報を共有し、急変時の\n対応を確認する。"


def test_a_sentence_cut_by_a_page_gap_stays_one_clause():
    cl = _seg("・地域包括診療料等の見直し\n算定要件に相談に応じるこ\n\nと等を追加する。\n")
    assert len([c for c in cl if c.display.strip()]) == 1
