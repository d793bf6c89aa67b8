import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.clauses import segment
from kb.documents import Document, load_documents
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
