from pathlib import Path

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


def _impacts_one_at_a_time(fields, boosts, B, K1):
    """Whoosh's BM25F (whoosh.scoring.bm25) for one posting after another, a term's fields added in
    field order: what impacts.bin must hold, as (term, documents, float32 scores)."""
    from array import array
    from math import log

    from whoosh.util.numeric import byte_to_length, length_to_byte

    scored: dict[str, dict[int, float]] = {}
    for fname, boost in boosts.items():
        post, lengths = fields[fname]
        avgfl = (sum(lengths) / len(lengths) if lengths else 0) or 1
        for term, (docs, tfs) in post.items():
            idf = log(len(lengths) / (len(docs) + 1)) + 1
            acc = scored.setdefault(term, {})
            for d, tf in zip(docs, tfs):
                norm = K1 * ((1 - B) + B * byte_to_length(length_to_byte(lengths[d])) / avgfl)
                acc[d] = acc.get(d, 0.0) + boost * (idf * ((tf * (K1 + 1)) / (tf + norm)))
    return [(t, array("I", sorted(acc)), array("f", [acc[d] for d in sorted(acc)])) for t, acc in sorted(scored.items())]


@pytest.mark.parametrize("chunk", [1, 5, 1 << 18])
def test_impacts_are_whoosh_bm25f_computed_one_posting_at_a_time(tmp_path, monkeypatch, chunk):
    """impacts.bin and .idx, computed as arrays a slice of terms at a time, hold the very floats of
    the formula worked out posting by posting: terms in one field or several, tf above 1, any slicing."""
    import marshal
    from array import array

    from kb.search import impact
    from kb.search.impact import Impacts, write_impacts

    def post(**terms):
        return {t: (array("I", [d for d, _tf in p]), array("I", [tf for _d, tf in p])) for t, p in terms.items()}

    fields = {
        "title": (post(加算=[(0, 1), (3, 2)], 特養=[(2, 1)]), [3, 0, 1, 7]),
        "body": (post(加算=[(1, 1), (3, 4)], 算定=[(0, 3), (1, 1), (2, 1), (3, 1)], 医療=[(3, 1)]), [40, 12, 3, 90]),
        "source": (post(加算=[(3, 1)], 算定=[(2, 2)], 医療=[(0, 1)]), [2, 2, 5, 1]),
    }
    boosts = {"title": 3.0, "body": 1.0, "source": 0.5}
    monkeypatch.setattr(impact, "CHUNK", chunk)
    write_impacts(tmp_path, fields, boosts, 0.4, 1.2)
    expected = _impacts_one_at_a_time(fields, boosts, 0.4, 1.2)
    table = marshal.loads((tmp_path / impact.IDX).read_bytes())
    assert list(table) == [t for t, _d, _s in expected]
    got = Impacts(tmp_path)
    for term, docs, scores in expected:
        assert got.postings(term) == (docs, scores), term
    assert (tmp_path / impact.BIN).read_bytes() == b"".join(d.tobytes() + s.tobytes() for _t, d, s in expected)


def test_impacts_of_the_seed_index_are_those_computed_one_posting_at_a_time(index_build, tmp_path):
    """The seed build's impacts, from its own postings, against the formula posting by posting."""
    from kb.search import analysis
    from kb.search.analysed import field_postings
    from kb.search.impact import BIN
    from kb.search.searcher import BM25_B, BM25_K1
    from kb.search.inputs import load_inputs
    from kb.search.units import build_units

    from .conftest import CORPUS

    inputs = load_inputs(CORPUS)
    units = build_units(inputs.corpus, inputs.rules, inputs.services)
    analysis.configure(str(index_build / "index" / "user.dic"))
    expected = _impacts_one_at_a_time(field_postings(units), FIELD_BOOSTS, BM25_B, BM25_K1)
    assert (index_build / "index" / BIN).read_bytes() == b"".join(d.tobytes() + s.tobytes() for _t, d, s in expected)


@pytest.mark.parametrize("args", [["ショートステイ 算定"], ["往診体制を常時確保していないと協力医療機関になれないか", "--service", "特養"]])
def test_a_search_never_imports_numpy(index_build, args):
    """numpy is the build's (the impacts); a search, even one that loads Sudachi and opens Whoosh,
    reads the impacts with the standard library: its start pays nothing for numpy."""
    import os
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "kb", "search", *args, "--json",
                        "--build-dir", str(index_build)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert p.returncode == 0, p.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    assert "kb.search.impact" in imported and "numpy" not in imported
