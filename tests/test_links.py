"""Clause/Q&A <-> rule links: by name or alias, longest name wins."""
from pathlib import Path

import pytest

from kb.corpus.load import load_corpus
from kb.rules.entries import Rule, load_rules
from kb.rules.links import _terms, link_rules, mentioned
from kb.rules.services import key

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _rule(rid, name, aliases=()):
    return Rule(id=rid, name=name, kind="介護報酬加算", services=("介護医療院",), aliases=tuple(aliases))


TOY = [
    _rule("renkei", "協力医療機関連携加算"),
    _rule("yoken", "協力医療機関の要件", ["協力医療機関", "3要件"]),
    _rule("old", "医療機関連携加算"),
    _rule("reha", "リハビリテーションマネジメント加算", ["リハマネ加算"]),
]


def test_longest_name_wins():
    terms = _terms(TOY)
    assert mentioned("協力医療機関連携加算について", terms) == ["renkei"]  # not 'old' inside it
    assert mentioned("現行は医療機関連携加算80単位/月", terms) == ["old"]
    assert mentioned("３要件を満たす場合", terms) == ["yoken"]
    assert mentioned("ﾘﾊﾏﾈ 加算 と 協力医療機関連携加算", terms) == ["renkei", "reha"]
    assert mentioned("訪問介護の話", terms) == []


def test_alias_inside_another_rules_name_does_not_link():
    # 協力医療機関 is part of 協力医療機関連携加算: it finds the rule by name but is too general to link on
    assert ("協力医療機関", "yoken") not in _terms(TOY)
    assert mentioned("協力医療機関を定める", _terms(TOY)) == []


@pytest.fixture(scope="module")
def links():
    corpus = load_corpus(CORPUS)
    return corpus, link_rules(corpus, load_rules(CORPUS))


def test_real_qas_link_to_their_rules(links):
    corpus, ln = links
    qas = ln.qas_of("kyoryoku-iryokikan-renkei-kasan")
    assert {"r6-qa-vol1-q127", "r6-qa-vol1-q151", "r6-qa-vol1-q152", "r6-qa-vol2-q13", "r6-qa-vol3-q3",
            "r6-qa-vol7-q1"} <= set(qas)
    assert "r6-qa-vol1-q153" in ln.qas_of("taikyo-ji-joho-teikyo-kasan")
    assert set(ln.rules_of("r6-qa-vol2-q18")) == {"taikyo-ji-joho-teikyo-kasan", "taisho-ji-joho-teikyo-kasan"}
    vol16 = [q.id for q in corpus.qas if q.volume == 16]
    assert vol16 and set(vol16) <= set(ln.qas_of("kyoryoku-iryokikan-yoken"))
    for ids in ln.qas.values():
        assert all(i in corpus.qas_by_id for i in ids)


def test_real_clauses_link_to_their_rules(links):
    corpus, ln = links
    renkei = ln.clauses_of("kyoryoku-iryokikan-renkei-kasan")
    docs = {corpus.clauses_by_id[i].doc_id for i in renkei}
    assert {"guide-kyoryoku-iryokikan-joho-teikyo", "r6-zaitaku-iryo-kaigo-renkei-gaiyo",
            "r6-jimu-2024-07-05-shisetsu-iryo-renkei"} <= docs
    for i in renkei:
        assert "協力医療機関連携加算" in corpus.clauses_by_id[i].search
    old = ln.clauses_of("iryokikan-renkei-kasan")
    assert old and all("80単位" in corpus.clauses_by_id[i].search or "特定施設における医療機関連携加算"
                       in corpus.clauses_by_id[i].search for i in old)
    for rule_id in ("kyoryoku-taisho-shisetsu-nyushosha-nyuin-kasan", "kaigo-hoken-shisetsu-tou-renkei-oshin-kasan",
                    "reha-management-kasan", "nyutaiin-shien-kasan"):
        assert ln.clauses_of(rule_id), rule_id
    # both directions agree
    for rule_id, ids in ln.clauses.items():
        for i in ids:
            assert rule_id in ln.rules_of(i)


def test_links_from_the_cache_are_those_made_afresh_and_an_edited_ruling_is_read_again(tmp_path, monkeypatch):
    """The cache between builds finds a clause by its text's digest, a ruling by the digest its
    document's memo entry made of it: unchanged, nothing is read again; a ruling whose answer is edited
    in its document to name a rule is read again, alone, and links to it."""
    import shutil

    from kb.corpus.memo import Memo
    from kb.rules import links as links_module

    monkeypatch.setenv("KAIGO_KB_CACHE", str(tmp_path / "cache"))
    corpus_dir = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus_dir)
    rules = load_rules(corpus_dir)
    corpus = load_corpus(corpus_dir, memo=Memo.open())
    cache: dict = {}
    first = link_rules(corpus, rules, cache)
    read = []
    real = links_module.mentioned
    monkeypatch.setattr(links_module, "mentioned", lambda text, terms: read.append(text) or real(text, terms))
    again = link_rules(corpus, rules, cache)
    assert read == [] and (again.clauses, again.qas, again.rules) == (first.clauses, first.qas, first.rules)

    # a ruling known by its memo digest is edited in its document to name a rule it did not name
    def editable(q):
        text = (corpus_dir / "documents" / f"{q.doc_id}.txt").read_text(encoding="utf-8")
        return corpus.memo.object_digest(q) and text.count(q.answer[:12]) == 1
    q = next(q for q in corpus.qas if editable(q))
    rule = next(r for r in rules if r.id not in first.rules_of(q.id) and len(r.name) > 6)
    path = corpus_dir / "documents" / f"{q.doc_id}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(q.answer[:12], q.answer[:12] + rule.name), encoding="utf-8")
    corpus = load_corpus(corpus_dir, memo=Memo.open())
    edited = link_rules(corpus, rules, cache)
    assert rule.id in edited.rules_of(q.id) and q.id in edited.qas_of(rule.id)
    # read again: the edited ruling, and its text as a clause of the document; nothing else
    assert corpus.qas_by_id[q.id].search in read and len(read) <= 2
    assert all(key(rule.name) in key(text) for text in read)
