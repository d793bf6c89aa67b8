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


def _contents(index_dir):
    """What a Whoosh index holds, as comparable values: stored fields, every posting (with
    its block's statistics), field lengths, term statistics."""
    from whoosh import index

    r = index.open_dir(str(index_dir)).reader()
    n = r.doc_count_all()
    posts, infos = {}, {}
    for fname in sorted(r.indexed_field_names()):
        for tb in r.lexicon(fname):
            m, items = r.postings(fname, tb), []
            while m.is_active():
                items.append((m.id(), m.weight(), m.value(), m.block_min_length(), m.block_max_length(),
                              m.block_max_weight()))
                m.next()
            posts[fname, tb] = items
            ti = r.term_info(fname, tb)
            infos[fname, tb] = (ti.weight(), ti.doc_frequency(), ti.min_length(), ti.max_length(), ti.max_weight())
    fields = sorted(FIELD_BOOSTS)
    return {"stored": [r.stored_fields(d) for d in range(n)], "postings": posts, "terms": infos,
            "lengths": {f: [r.doc_field_length(d, f) for d in range(n)] for f in fields},
            "totals": {f: r.field_length(f) for f in fields}, "segments": len(r.leaf_readers())}


def test_the_one_pass_writer_writes_what_whoosh_add_document_writes(tmp_path):
    """kb.search.segment writes the index Whoosh's own writer makes from the same documents."""
    from kb.search import analysis
    from kb.search.analysed import postings, terms_of
    from kb.search.index import prepare_analysis, schema, write_index
    from kb.search.inputs import load_inputs
    from kb.search.units import build_units
    from tests.conftest import ROOT

    inputs = load_inputs(ROOT / "tests" / "fixtures" / "tiny")
    units = build_units(inputs.corpus, inputs.rules, inputs.services)
    ours, whoosh = tmp_path / "ours", tmp_path / "whoosh"
    dic = prepare_analysis(ours, inputs)
    write_index(units, ours, inputs.thesaurus, inputs.services, dic)
    whoosh.mkdir()
    from whoosh import index

    writer = index.create_in(str(whoosh), schema()).writer()
    for u in units:
        writer.add_document(
            id=u.id, kind=u.kind, category=u.category, doc_id=u.doc_id, series=u.series_id,
            volume=str(u.volume) if u.volume is not None else "",
            number=str(u.number) if u.number is not None else "", date=u.date, standard=u.standard,
            services=",".join(u.services), title=u.title, heading=u.heading, question=u.question,
            body=u.body, source=u.source)
    writer.commit(optimize=True)
    assert analysis._user_dic == str(dic)
    assert postings([u.body for u in units], terms_of(None))[0]  # the tiny corpus has text to compare
    assert _contents(ours) == _contents(whoosh)
