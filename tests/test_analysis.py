import pickle

import pytest

from kb.search import analysis
from kb.search.index import build_user_dictionary
from kb.search.tokenizer import SudachiTokenizer
from kb.search.thesaurus import load_thesaurus
from kb.sources.files import DataError


def terms(text, **kw):
    return [t.term for t in analysis.tokenize(text, **kw)]


def test_tokens_carry_offsets_into_the_text():
    text = "協力医療機関連携加算の算定について"
    for t in analysis.tokenize(text, user_dic=None):
        assert text[t.start:t.end] == t.surface


def test_particles_dropped_single_kanji_kept_parts_added():
    ts = analysis.tokenize("特養で医療機関の日", user_dic=None)
    words = [t.term for t in ts if not t.part]
    assert "で" not in words and "の" not in words
    assert "日" in words and "医療機関" in words
    assert {"医療", "機関"} <= {t.term for t in ts if t.part}


def test_normalized_form_and_width_folding():
    assert "ict" in terms("ＩＣＴ", user_dic=None)


def test_long_text_is_chunked_and_offsets_fixed():
    unit = "協力医療機関との会議を定期的に開催する。\n"
    text = unit * 5000  # ~300 KB, far over Sudachi's input limit
    ts = [t for t in analysis.tokenize(text, user_dic=None) if not t.part]
    assert ts[-1].end > len(text) - len(unit)
    assert all(text[t.start:t.end] == t.surface for t in ts[::97])


def test_the_whoosh_tokenizer_pickles_without_native_objects():
    analysis.configure(None)  # Sudachi's own dictionary, whatever an earlier test's build configured
    tok = SudachiTokenizer()
    list(tok("特養の協力医療機関", positions=True, chars=True))
    restored = pickle.loads(pickle.dumps(tok))
    assert restored == tok and vars(restored) == {"user_dic": None}
    got = [(t.text, t.pos, t.startchar, t.endchar) for t in restored("協力医療機関の会議", positions=True, chars=True)]
    assert ("協力", 0, 0, 2) in got and ("医療機関", 1, 2, 6) in got and ("医療", 1, 2, 4) in got


def test_user_dictionary_keeps_domain_compounds_whole(tmp_path):
    dic = build_user_dictionary(["協力医療機関連携加算", "地密特養"], tmp_path / "user.dic")
    plain = terms("協力医療機関連携加算と地密特養", user_dic=None)
    with_dic = analysis.tokenize("協力医療機関連携加算と地密特養", user_dic=str(dic))
    words = [t.term for t in with_dic if not t.part]
    assert "協力医療機関連携加算" not in plain
    assert words == ["協力医療機関連携加算", "地密特養"]
    # the parts still come from the system dictionary, so 医療機関 finds the compound
    assert {"協力", "医療機関", "連携", "加算"} <= {t.term for t in with_dic if t.part}


def test_thesaurus_data(tmp_path):
    from tests.conftest import CORPUS

    th = load_thesaurus(CORPUS)
    assert ("介護老人福祉施設", 0.8) in th.expand("特養")
    assert any(t == "介護保険施設等" for t, _ in th.expand("特養"))
    assert ("短期入所生活介護", 0.8) in th.expand("ショートステイ")
    assert th.expand("ＧＨ") == th.expand("gh")
    (tmp_path / "thesaurus.toml").write_text('[[term]]\nkey = "x"\ntargets = "y"\nkind = "abbrev"\n', encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_thesaurus(tmp_path)
    assert e.value.field == "term[0].targets"


def test_texts_sent_early_are_read_by_the_next_add_as_a_plain_analysis(fresh_cache):
    """Analysis.send (the build sends its units' texts before it makes them): the texts the cache
    holds are taken at once, the others analysed in the workers; add() reads them, and analyses
    only what was not sent. The same words as analysing all of them in one add()."""
    from kb.processes import workers
    from kb.search.analysed import Analysis

    cached = ["短期入所生活介護の算定について", "協力医療機関連携加算"]
    first = Analysis.cached().add(cached, workers=0)
    first.save()
    texts = [*cached, "看取り介護加算の要件", "夜勤職員配置加算", ""]
    plain = Analysis().add(texts, workers=0)
    with workers() as pool:
        early = Analysis.cached()
        early.send(texts[:4], pool)
        assert set(early.texts) == set(cached)  # from the cache, at once; the rest with the workers
        early.add(texts, pool=pool)
    for text in texts:
        assert early.tokens(text) == plain.tokens(text)
    from kb.search.analysed import digest

    assert set(early._fresh) == {digest(t) for t in texts[2:4]}  # analysed once, the new ones only


def test_word_counts_count_every_token_of_the_texts_in_word_order():
    """Analysis.word_counts (the browser index's vocabulary weights): each word number with how
    often it stands in the texts, a text given twice counted twice, unknown and empty texts none."""
    from collections import Counter

    from kb.search.analysed import Analysis

    texts = ["短期入所生活介護の算定について", "協力医療機関連携加算の算定", "短期入所生活介護の算定について", ""]
    analysed = Analysis().add(texts, workers=0)
    expected = Counter(w for text in texts for w in analysed.word_ids(text))
    got = analysed.word_counts([*texts, "解析していない文"])
    assert got == sorted(expected.items())
    assert analysed.word_counts([]) == [] and analysed.word_counts(["解析していない文"]) == []
