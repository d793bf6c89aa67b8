import pytest
from whoosh import query as Q

from kb.search.index import FIELD_BOOSTS


@pytest.mark.parametrize("terms", [{"協力医療機関連携加算": 1.0, "算定": 0.5}, {"ショートステイ": 1.0}, {"医療": 0.35}])
def test_cached_impacts_equal_whoosh_bm25f(searcher, terms):
    """The precomputed impacts are Whoosh's own scores: same ranking, same numbers."""
    q = Q.Or([Q.Term(f, t, boost=w * fb) for t, w in terms.items() for f, fb in FIELD_BOOSTS.items()])
    whoosh = {r.docnum: r.score for r in searcher.searcher.search(q, limit=None)}
    ours: dict[int, float] = {}
    for t, w in terms.items():
        docs, scores = searcher.impacts.postings(t)
        for d, s in zip(docs, scores):
            ours[d] = ours.get(d, 0.0) + w * s
    assert whoosh and set(whoosh) == set(ours)
    for d, s in whoosh.items():
        assert ours[d] == pytest.approx(s, rel=1e-5)


def test_index_is_one_segment_with_dense_doc_numbers(searcher):
    n = searcher.searcher.doc_count_all()
    assert searcher.ndocs == n
    assert sorted(searcher.searcher.document_numbers()) == list(range(n))


def test_unknown_term_has_no_postings(searcher):
    docs, scores = searcher.impacts.postings("存在しない語彙xyz")
    assert len(docs) == len(scores) == 0
