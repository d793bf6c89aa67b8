"""What a corpus load reuses across builds (kb.corpus.memo): the same corpus as a load that
reuses nothing, whatever changed in between."""
import difflib
import random
from dataclasses import replace

from kb.corpus import rulings
from kb.corpus.load import load_corpus
from kb.corpus.memo import Memo
from kb.search.inputs import load_inputs
from kb.search.units import build_units

from .test_workbook import tiny  # noqa: F401 (a fixture)
from .workbooks import write_workbook


def same_corpus(a, b) -> None:
    assert a.documents == b.documents
    assert a.clauses == b.clauses
    assert a.qas == b.qas
    assert a.repeats == b.repeats
    assert a.links == b.links
    assert a.statuses == b.statuses


def memo_load(root):
    """Load with the memo, save it (as the build does), and load again from it."""
    first = load_corpus(root)
    first.repeats
    first.memo.save()
    return first, load_corpus(root)


def test_a_load_from_the_memo_is_the_load_without_it(fresh_cache, corpus_copy):
    first, again = memo_load(corpus_copy)
    assert list((fresh_cache / "corpus").glob("*/*.pickle")), "the first load leaves its memo"
    plain = load_corpus(corpus_copy, memo=False)
    assert plain.memo is None
    same_corpus(first, plain)
    same_corpus(again, plain)
    assert len(again.memo._used_docs) == len(plain.documents)


def test_the_units_from_the_memo_are_the_units_without_it(fresh_cache, corpus_copy):
    inputs = load_inputs(corpus_copy)
    first = build_units(inputs.corpus, inputs.rules, inputs.services)  # makes what the memo keeps
    inputs.corpus.memo.save()
    again = load_corpus(corpus_copy)
    assert again.memo._made, "the units' search texts are remembered"
    plain = build_units(load_corpus(corpus_copy, memo=False), inputs.rules, inputs.services)
    assert first == plain
    assert build_units(again, inputs.rules, inputs.services) == plain
    assert {u.kind for u in plain} >= {"qa", "rule", "heading"}
    from kb.search.units import derive_units

    assert derive_units(load_corpus(corpus_copy), inputs.services).fresh == []  # all from the memo: none new


def test_the_units_made_now_are_those_of_the_changed_texts(fresh_cache, corpus_copy):
    from kb.search.units import derive_units

    inputs = load_inputs(corpus_copy)
    build_units(inputs.corpus, inputs.rules, inputs.services)
    inputs.corpus.memo.save()
    doc = next(p for p in sorted((corpus_copy / "documents").glob("*.txt")) if "問" in p.read_text(encoding="utf-8"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\n問９９９ メモは読み直されるか。\n（答）\n読み直される。\n",
                   encoding="utf-8")
    again = load_corpus(corpus_copy)
    derived = derive_units(again, inputs.services)
    texts = derived.searched(derived.fresh)
    assert len(derived.fresh) == 1 and "メモは読み直されるか" in " ".join(texts)


def test_a_changed_document_is_read_again(fresh_cache, corpus_copy):
    memo_load(corpus_copy)
    doc = next(p for p in sorted((corpus_copy / "documents").glob("*.txt")) if "問" in p.read_text(encoding="utf-8"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\n問９９９ メモは読み直されるか。\n（答）\n読み直される。\n",
                   encoding="utf-8")
    changed = load_corpus(corpus_copy)
    assert any("メモは読み直されるか" in q.question for q in changed.qas)
    same_corpus(changed, load_corpus(corpus_copy, memo=False))


def test_a_new_edition_of_a_question_is_compared_again(fresh_cache, tiny, tmp_path):
    """Repeated questions found from remembered comparisons and new ones alike."""
    from kb.ingest.workbook import ingest_workbook

    issued = "8.3.13\n介護保険最新情報Vol.1479\n「介護職員等処遇改善加算に関するＱ＆Ａ（第１版）」について"
    row = {"service": "01 全サービス共通", "standard": "4 報酬", "topic": "賃金改善方法", "issued": issued}
    rows = [{**row, "question": "賞与を引き下げた場合、介護職員の賃金が下がったときの取扱いはどうなるのか。", "answer": "旧"},
            {**row, "question": "賃金改善の実施期間はいつからいつまでか。", "answer": "別"}]
    ingest_workbook(write_workbook(tmp_path / "wb.xlsx", rows), tiny)
    first, again = memo_load(tiny)
    assert not first.repeats
    later = "9.3.13\n介護保険最新情報Vol.1500\n「介護職員等処遇改善加算に関するＱ＆Ａ（第２版）」について"
    rows.append({**row, "issued": later, "answer": "新",
                 "question": "賞与を引き下げた場合、介護職員等の賃金が下がったときの取扱いはどうなるのか。"})
    ingest_workbook(write_workbook(tmp_path / "wb2.xlsx", rows), tiny, replace_existing=True)
    c = load_corpus(tiny)
    new, old = (next(q for q in c.qas if q.answer == a) for a in ("新", "旧"))
    assert c.repeats[new.id] == [new.id, old.id]
    same_corpus(c, load_corpus(tiny, memo=False))


def test_a_damaged_memo_is_ignored(fresh_cache, corpus_copy):
    memo_load(corpus_copy)
    (path,) = (fresh_cache / "corpus").glob("*/texts.marshal")
    path.write_bytes(b"\x80\x05not marshal")
    for doc in path.parent.glob("*.pickle"):
        doc.write_bytes(doc.read_bytes()[:50])
    damaged = load_corpus(corpus_copy)
    same_corpus(damaged, load_corpus(corpus_copy, memo=False))
    assert len(damaged.memo._new_docs) == len(damaged.documents)  # every document read again
    path.write_bytes(b"")
    assert Memo.open()._made == {}


def test_alike_is_difflibs_ratio():
    """The cheap bounds never change the answer of SequenceMatcher's ratio >= REPEAT."""
    rng = random.Random(7)
    alphabet = "介護職員等の賃金処遇改善加算について、は。問答算定できるか" + "ａｂｃ１２３"
    bases = ["".join(rng.choice(alphabet) for _ in range(rng.randint(5, 120))) for _ in range(200)]
    pairs = []
    for a in bases:
        b = list(a)
        for _ in range(rng.randint(0, 12)):  # a few edits: near the threshold
            i = rng.randrange(len(b) + 1)
            op = rng.random()
            if op < 0.4 and b:
                b.pop(min(i, len(b) - 1))
            elif op < 0.8:
                b.insert(i, rng.choice(alphabet))
            elif b:
                b[min(i, len(b) - 1)] = rng.choice(alphabet)
        pairs.append((a, "".join(b)))
        pairs.append((a, rng.choice(bases)))
    alike = 0
    for a, b in pairs:
        m = difflib.SequenceMatcher(None, min(a, b), max(a, b), autojunk=False)
        expected = m.real_quick_ratio() >= rulings.REPEAT and m.quick_ratio() >= rulings.REPEAT and m.ratio() >= rulings.REPEAT
        assert rulings._alike(a, b, {}) is expected is rulings._alike(b, a, {}), (a, b)
        alike += expected
    assert 20 < alike < len(pairs) - 20  # both answers were exercised


def test_what_the_memo_lacks_is_made_by_the_builds_workers(fresh_cache, corpus_copy, monkeypatch):
    """A first load reads the documents in the worker processes (kb.processes.workers), and a
    first build_units derives the units' texts there: the same corpus, units and memo as made
    in this process."""
    from kb.corpus import load
    from kb.processes import workers
    from kb.search import units

    plain = load_corpus(corpus_copy, memo=False)
    inputs = load_inputs(corpus_copy)
    plain_units = build_units(plain, inputs.rules, inputs.services)
    derived = units.derive_units(plain, inputs.services)  # the texts the build sends to the analysis first
    assert derived.searched() == list(units.searchable_texts([u for u in plain_units if u.kind != "rule"]))
    assert derived.fresh == list(range(len(derived.values)))  # no memo: all made now
    here: list[str] = []
    monkeypatch.setattr(units, "PARALLEL_JOBS", 1)
    monkeypatch.setattr(units, "CHUNK", 7)
    with workers() as pool:
        # patched after the fork: the workers run the real functions, this process records its calls
        real_segmented, real_derived = load._segmented, units._derived
        monkeypatch.setattr(load, "_segmented", lambda doc: here.append(doc.id) or real_segmented(doc))
        monkeypatch.setattr(units, "_derived", lambda jobs, find: here.extend(jobs) or real_derived(jobs, find))
        pooled = load_corpus(corpus_copy, pool=pool)
        pooled_units = build_units(pooled, inputs.rules, inputs.services, pool)
    assert here == []
    same_corpus(pooled, plain)
    assert pooled_units == plain_units
    # a text the workers sent back unchanged is the corpus's own string, not their copy
    unchanged = [u for u in pooled_units if u.kind == "qa" and u.body == pooled.qas_by_id[u.id].answer]
    assert unchanged and all(u.body is pooled.qas_by_id[u.id].answer for u in unchanged)
    pooled.memo.save()
    again = load_corpus(corpus_copy)
    same_corpus(again, plain)
    assert build_units(again, inputs.rules, inputs.services) == plain_units
    assert here == [], "the second load and its units come from the memo the workers filled"


def test_a_document_a_worker_fails_on_fails_the_load_as_without_workers(fresh_cache, corpus_copy, monkeypatch):
    from kb.corpus import load
    from kb.processes import workers

    real = load._segmented
    broken = sorted(p.stem for p in (corpus_copy / "documents").glob("*.toml"))[1]

    def segmented(doc):
        if doc.id == broken:
            raise ValueError(f"cannot read {doc.id}")
        return real(doc)

    monkeypatch.setattr(load, "_segmented", segmented)
    with workers() as pool:
        try:
            load_corpus(corpus_copy, pool=pool)
        except ValueError as e:
            assert str(e) == f"cannot read {broken}"
        else:
            raise AssertionError("the load did not fail")


def _rulings(rng: random.Random, n: int) -> list:
    """``n`` rulings whose questions are a few sentences edited a little (some past the threshold,
    some not), under a few topics, some without one, on a few dates."""
    from kb.corpus.qa import QA

    alphabet = "介護職員等の賃金処遇改善加算について、は。問答算定できるか"
    bases = ["".join(rng.choice(alphabet) for _ in range(rng.randint(20, 60))) for _ in range(12)]
    out = []
    for k in range(n):
        q = list(rng.choice(bases))
        for _ in range(rng.choice([0, 0, 1, 2, 4, 9])):
            q.insert(rng.randrange(len(q) + 1), rng.choice(alphabet))
        out.append(QA(id=f"r-{k}", series="s", series_id="s", volume=1, number=k, date=f"2024-0{rng.randint(1, 9)}-01",
                      service="", topic=rng.choice(["賃金改善について", "算定要件について", ""]), question="".join(q),
                      answer="", doc_id="d", clause_id=f"c-{k}"))
    return out


def test_groups_from_an_earlier_load_plus_new_rulings_are_the_groups_of_comparing_them_all():
    """repeated_questions starting from the groups an earlier load found (the rulings before a
    volume came in), comparing only the new ones: the same groups, in the same order, as comparing
    every pair; an earlier record that no longer fits (a ruling edited or gone) is not used."""
    rng = random.Random(11)
    for trial in range(40):
        qas = _rulings(rng, rng.randint(5, 60))
        whole = rulings.repeated_questions(qas, None)
        earlier = [q for q in qas if rng.random() < 0.7]  # the others came later, anywhere in the order
        rng.shuffle(earlier) if trial % 5 == 0 else None  # and the earlier load's order need not be this one's
        memo = Memo(None, {"pairs": {}, "made": {}})
        rulings.repeated_questions(earlier, memo)
        memo._made.update(memo._used_made)  # as saved and opened again by the next load
        seen = []
        real = rulings._alike
        try:
            rulings._alike = lambda a, b, counts: seen.append((a, b)) or real(a, b, counts)
            again = Memo(None, {"pairs": {}, "made": dict(memo._made)})
            got = rulings.repeated_questions(qas, again)
        finally:
            rulings._alike = real
        assert got == whole and list(got) == list(whole) and list(map(list, got.values())) == list(map(list, whole.values()))
        if len(earlier) == len(qas):
            assert seen == []  # nothing new: no question compared
        # rulings of the earlier load edited or gone: the groups are still right; the record is used
        # when only rulings asked once changed (they are compared as new), not when a group's did
        def record_used(later):
            asked = {q.id: (rulings.question_key(q.question), rulings.compact(q.topic) if q.topic else "")
                     for q in later}
            again = Memo(None, {"pairs": {}, "made": dict(memo._made)})
            return rulings._earlier_groups(again, asked, later, rulings._asked_digests(later, asked))

        usable = record_used(qas) is not None
        for changed in earlier[:3]:
            for later in ([q for q in qas if q is not changed],
                          [q if q is not changed else replace(q, question=q.question + "か") for q in qas]):
                again = Memo(None, {"pairs": {}, "made": dict(memo._made)})
                assert rulings.repeated_questions(later, again) == rulings.repeated_questions(later, None)
                used = record_used(later)
                if changed.id in rulings.repeated_questions(earlier, None):
                    assert used is None
                elif usable and later is not qas and len(later) < len(qas):  # gone
                    assert used is not None and changed.id not in used[0]
    assert any(len(v) > 2 for v in whole.values())


def test_starting_from_earlier_groups_keeps_the_comparisons_they_were_found_with(tmp_path):
    """A load that starts from the earlier groups compares only the new rulings, but its memo keeps
    every comparison the earlier load made: a later load that must compare everything (a volume
    replaced) finds them, instead of a memo left with the new rulings' few."""
    import marshal

    from kb.corpus.memo import TEXTS_FILE

    rng = random.Random(5)
    qas = _rulings(rng, 150)
    earlier = qas[:145]
    # a memo's folder as Memo.open lays it out (cache/corpus/<code>): saving tidies the folders beside it
    folder = tmp_path / "cache" / "corpus" / "code"
    first = Memo(folder, {"pairs": {}, "made": {}})
    rulings.repeated_questions(earlier, first)
    first.save()
    compared = marshal.loads((folder / TEXTS_FILE).read_bytes())["pairs"]
    assert len(compared) > 10
    second = Memo(folder, marshal.loads((folder / TEXTS_FILE).read_bytes()))
    assert rulings.repeated_questions(qas, second) == rulings.repeated_questions(qas, None)
    assert len(second._used_pairs) >= len(compared)
    second.save()
    assert compared.items() <= marshal.loads((folder / TEXTS_FILE).read_bytes())["pairs"].items()


def test_the_rulings_digests_the_memo_keeps_are_their_content_digests(fresh_cache, corpus_copy):
    """The site's pages take a ruling's digest from the memo (Memo.object_digest) instead of pickling
    it again: made in this process, by a worker or read from the memo's files, it is the digest
    kb.site.reuse.Digests makes of the ruling; a ruling the load replaced (merged from several
    documents, relabelled) has none, and is digested as any other object."""
    from kb.processes import workers
    from kb.site.reuse import Digests

    here = load_corpus(corpus_copy)
    with workers() as pool:
        pooled = load_corpus(corpus_copy, pool=pool)  # (the memo's files not written yet: made by the workers)
    here.memo.save()
    again = load_corpus(corpus_copy)
    for corpus in (here, pooled, again):
        kept = [(q, corpus.memo.object_digest(q)) for q in corpus.qas]
        assert sum(d is not None for _q, d in kept) > len(kept) // 2
        assert all(d == Digests().pickled(q) for q, d in kept if d is not None)
        replaced = [q for q, d in kept if d is None]
        assert all(Digests(corpus.memo.object_digest).object(q) == Digests().pickled(q) for q in replaced)
        assert replaced, "the corpus has rulings the load replaces (quoted in several documents, relabelled)"
