"""An index built from the previous build's (kb.search.reuse) equals the clean build's: the
same files but Whoosh's, Whoosh holding the same documents and terms per unit, and the same
search results (ids, scores, order, filters, references) for the query sets."""
import shutil
from pathlib import Path

import pytest

from kb.search import reuse
from kb.search.searcher import Filters
from tests.conftest import DEV_QUERIES, ROOT

TINY = ROOT / "tests" / "fixtures" / "tiny"
WHOOSH_FILES = ("MAIN_", "_MAIN_", "whoosh.docnums")
HEADER = ("令和６年度介護報酬改定に関するＱ＆Ａ（Vol.{v}）（令和８年{m}月１日）\n\n", 'id = "tiny-qa-vol{v}"\n'
          'title = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.{v}）"\nkind = "Q&A"\nissuer = "厚生労働省老健局"\n'
          'date = 2026-{m:02d}-01\nseries = "令和６年度介護報酬改定に関するＱ＆Ａ"\nvolume = {v}\n')
VOLUMES = {
    21: "【介護老人福祉施設】\n問１ 看取りの記録は電子媒体で保存してよいか。\n（答）\n差し支えない。\n",
    # deletes an old ruling (read as an amendment from a workbook's rows only; from a document, a volume)
    22: "【短期入所生活介護】\n問１ 記録の保存期間は何年か。\n（答）\n５年間保存すること。\n"
        "※令和６年度介護報酬改定に関するＱ＆Ａ（Vol.20）（令和８年１月15日）問２は削除する。\n",
    # asks an old question again
    23: "【短期入所生活介護】\n○ 看取り連携体制加算について\n"
        "問１ ショートステイの利用者について、看取り連携体制加算は算定できるか。\n（答）\n算定できない場合がある。\n",
}
QUERIES = ["看取り", "協力医療機関 往診", "ショートステイ 算定", "記録 保存", "特養 協力医療機関", "Vol.20 問2",
           "Vol.20 問1", "Vol.23", "問3", "オンライン 会議", "算定できるか", "存在しない語"]
FILTERS = [Filters(), Filters(kind="qa"), Filters(kind="Q&A"), Filters(volume=20), Filters(volume=22),
           Filters(service="ショートステイ"), Filters(since="2026-02-01"), Filters(until="2026-01-31"),
           Filters(kind="heading", since="2026-01-01")]


def add_volume(corpus: Path, v: int) -> None:
    (corpus / "documents" / f"tiny-qa-vol{v}.txt").write_text(HEADER[0].format(v=v, m=v - 18) + VOLUMES[v], encoding="utf-8")
    (corpus / "documents" / f"tiny-qa-vol{v}.toml").write_text(HEADER[1].format(v=v, m=v - 18), encoding="utf-8")


def build_index(corpus: Path, out: Path, previous: Path | None = None) -> Path:
    """The index as kb.build makes it (index only), from ``previous``'s (a build folder) when given;
    returns ``out / "index"`` (its state in ``out / "state" / "index"``)."""
    from kb.build import _words
    from kb.search import analysis
    from kb.search.analysed import Analysis, field_postings
    from kb.search.index import prepare_analysis, write_index
    from kb.search.inputs import load_inputs
    from kb.search.units import build_units, searchable_texts

    inputs = load_inputs(corpus)
    units = build_units(inputs.corpus, inputs.rules, inputs.services)
    user_dic = prepare_analysis(out / "index", inputs)
    words = _words(inputs, units)
    tokens = Analysis.cached().add([*searchable_texts(units), *words], workers=0)
    forms = tokens.forms(searchable_texts(units)) | set(words)
    tokens.add(forms, workers=0)
    text_keys = reuse.text_digests(units)
    fields = reuse.postings(units, text_keys, tokens, previous / "index" if previous else None, reuse.build_key(user_dic))
    # made from the previous build's or afresh, they are the units' postings
    assert comparable(fields) == comparable(field_postings(units, tokens))
    with analysis.using(tokens):
        write_index(units, out / "index", inputs.thesaurus, inputs.services, user_dic, tokens, fields, forms,
                    previous=previous / "index" if previous else None, state=out / "state" / "index", text_keys=text_keys)
    return out / "index"


def comparable(fields: dict) -> dict:
    """Postings as plain lists (arrays or views of bytes alike), terms in any order."""
    return {f: ({t: (list(d), list(tf)) for t, (d, tf) in post.items()}, list(lengths))
            for f, (post, lengths) in fields.items()}


def whoosh_by_unit(index_dir: Path) -> dict:
    """What the Whoosh index holds, by unit id (its document numbers and segments aside): each
    unit's stored fields and field lengths, and each term's postings (unit id, weight, value)."""
    from whoosh import index

    from kb.search.index import FIELD_BOOSTS
    from kb.search.segment import read_docnums
    from kb.search.stored import StoredUnits

    ids = StoredUnits(index_dir).ids
    mapping = read_docnums(index_dir)
    r = index.open_dir(str(index_dir)).reader()
    unit = (lambda d: ids[d]) if mapping is None else (lambda d: ids[mapping[d]])
    live = list(r.all_doc_ids())
    assert sorted(unit(d) for d in live) == sorted(ids)
    posts = {}
    for fname in sorted(r.indexed_field_names()):
        for tb in r.lexicon(fname):
            m, items = r.postings(fname, tb), []
            while m.is_active():
                items.append((unit(m.id()), m.weight(), m.value()))
                m.next()
            if items:
                posts[fname, tb] = sorted(items)
    return {"stored": {unit(d): r.stored_fields(d) for d in live}, "postings": posts,
            # a segment in which no document has the field (title) has no lengths of it: None, not 0
            "lengths": {(unit(d), f): r.doc_field_length(d, f) or 0 for d in live for f in sorted(FIELD_BOOSTS)}}


def results(index_dir: Path, queries) -> list:
    from kb.search.searcher import QueryError, Searcher

    s = Searcher(index_dir)
    out = []
    for q in queries:
        for f in FILTERS:
            try:
                r = s.search(q, 20, f)
            except QueryError as e:
                out.append((q, f, str(e)))
                continue
            out.append((q, f, [(h.id, h.score, h.exact, h.data) for h in r.hits], r.reading(), r.terms))
    for ident in s.units.ids:  # show / qa lookups
        assert s.units.data(s.units.docnum(ident))["id"] == ident
    s.close()
    return out


def assert_same_index(incremental: Path, clean: Path, queries=QUERIES) -> None:
    def files(root):
        return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if not p.name.startswith(WHOOSH_FILES)}

    a, b = files(incremental), files(clean)
    assert sorted(a) == sorted(b)
    assert [name for name in b if a[name] != b[name]] == []
    assert whoosh_by_unit(incremental) == whoosh_by_unit(clean)
    assert results(incremental, queries) == results(clean, queries)


def segments(index_dir: Path) -> list[tuple[int, int]]:
    """(documents, deleted) of each Whoosh segment."""
    from kb.search.segment import previous_segments

    return [(s.doc_count_all(), s.deleted_count()) for s in previous_segments(index_dir)]


@pytest.fixture
def reuse_always(monkeypatch):
    """Keep every segment however small and however many deleted documents it holds."""
    monkeypatch.setattr(reuse, "SMALL_SEGMENT", 0)
    monkeypatch.setattr(reuse, "DEAD_SHARE", 1.0)


def test_each_change_builds_the_clean_index(tmp_path, fresh_cache, reuse_always):
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    prev = tmp_path / "b0"
    build_index(corpus, prev)
    assert segments(prev / "index") == [(len(whoosh_by_unit(prev / "index")["stored"]), 0)]

    def edit(name, old, new):
        path = corpus / "documents" / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    changes = [
        ("nothing", lambda: None),
        ("a volume", lambda: add_volume(corpus, 21)),
        ("a volume deleting a ruling", lambda: add_volume(corpus, 22)),
        ("a volume asking again", lambda: add_volume(corpus, 23)),
        ("an edited ruling", lambda: edit("tiny-qa-vol20.txt", "介護記録に残すこと。", "介護記録及び業務日誌に残すこと。")),
        # the same search texts (NFKC), another answer shown: its stored hit is written again
        ("a ruling's answer in another width", lambda: edit("tiny-qa-vol20.txt", "算定できる。ただし", "算定できる｡ただし")),
        ("a removed document", lambda: [(corpus / "documents" / f"tiny-notice.{x}").unlink() for x in ("txt", "toml")]),
        ("a thesaurus term", lambda: (corpus / "thesaurus.toml").write_text(
            (corpus / "thesaurus.toml").read_text(encoding="utf-8")
            + '\n[[term]]\nkey = "みとり"\ntargets = ["看取り"]\nkind = "synonym"\n', encoding="utf-8")),
        ("the previous volume again", lambda: None),
    ]
    seen = []
    for n, (what, change) in enumerate(changes, 1):
        change()
        out = tmp_path / f"b{n}"
        build_index(corpus, out, previous=prev)
        build_index(corpus, tmp_path / f"clean{n}")
        seen.append((what, segments(out / "index")))
        assert_same_index(out / "index", tmp_path / f"clean{n}" / "index"), what
        prev = out
    kept = dict(seen)
    print(seen)
    assert len(kept["a volume asking again"]) == 4  # the first build's segment and one per volume
    assert any(deleted for _n, deleted in kept["a volume asking again"])  # Vol.20 問1 now in a group
    assert sum(deleted for _n, deleted in kept["a removed document"]) > sum(
        deleted for _n, deleted in kept["an edited ruling"]) > 0
    assert kept["nothing"] == seen[0][1] and len(kept["nothing"]) == 1
    assert len(kept["a thesaurus term"]) == 1  # another user dictionary: a clean build


def test_nothing_changed_links_the_previous_files(tmp_path, fresh_cache):
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build_index(corpus, tmp_path / "b0")
    build_index(corpus, tmp_path / "b1", previous=tmp_path / "b0")
    build_index(corpus, tmp_path / "clean")
    state = Path("state") / "index" / reuse.STATE  # the same units, the same state (Whoosh's random names aside)
    assert (tmp_path / "b1" / state).read_bytes() == (tmp_path / "clean" / state).read_bytes()
    for name in ("impacts.bin", "impacts.idx", "units.bin", "units.idx", "vocab.marshal"):
        assert (tmp_path / "b1" / "index" / name).samefile(tmp_path / "b0" / "index" / name)
    assert not (tmp_path / "b1" / "index" / "whoosh.docnums").exists()


@pytest.mark.parametrize("damage", ["missing", "garbage", "other key", "segment gone"])
def test_a_damaged_or_foreign_state_builds_clean(tmp_path, fresh_cache, damage):
    import marshal

    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build_index(corpus, tmp_path / "b0")
    state = tmp_path / "b0" / "state" / "index" / reuse.STATE
    if damage == "missing":
        state.unlink()
    elif damage == "garbage":
        state.write_bytes(b"\x00garbage")
    elif damage == "other key":
        st = marshal.loads(state.read_bytes())
        st["key"] = "another"
        state.write_bytes(marshal.dumps(st))
    else:
        for p in (tmp_path / "b0" / "index").glob("MAIN_*.seg"):
            p.unlink()
    add_volume(corpus, 21)
    build_index(corpus, tmp_path / "b1", previous=tmp_path / "b0")
    build_index(corpus, tmp_path / "clean")
    assert segments(tmp_path / "b1" / "index") == segments(tmp_path / "clean" / "index")
    assert_same_index(tmp_path / "b1" / "index", tmp_path / "clean" / "index")


def test_the_seed_corpus_after_a_volume_answers_the_query_sets_as_clean(tmp_path, fresh_cache, reuse_always):
    """The seed corpus and a synthetic volume, then a volume asking its questions again: every
    query of tests/queries.tsv (and the dev set) with every filter, incremental against clean.
    (A volume filed under a 加算 the corpus lacks changes the user dictionary: a clean build.)"""
    import csv
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import synth

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    name = synth.add_volume(corpus, 101, 20)
    build_index(corpus, tmp_path / "b0")
    for ext in ("txt", "toml"):
        text = (corpus / "documents" / f"{name}.{ext}").read_text(encoding="utf-8")
        again = text.replace("Vol.101", "Vol.103").replace("vol101", "vol103").replace("volume = 101", "volume = 103")
        assert again != text
        (corpus / "documents" / f"{name.replace('101', '103')}.{ext}").write_text(again, encoding="utf-8")
    build_index(corpus, tmp_path / "b1", previous=tmp_path / "b0")
    build_index(corpus, tmp_path / "clean")
    kept = segments(tmp_path / "b1" / "index")
    assert len(kept) == 2 and kept[0][1] > 0, kept
    queries = []
    for tsv in (ROOT / "tests" / "queries.tsv", DEV_QUERIES):
        if tsv.exists():
            with open(tsv, encoding="utf-8") as f:
                queries += [row["query"] for row in csv.DictReader(f, delimiter="\t")]
    assert len(queries) > 90
    assert_same_index(tmp_path / "b1" / "index", tmp_path / "clean" / "index", queries)


def test_a_damaged_docnum_map_is_a_damaged_index(tmp_path, fresh_cache, reuse_always):
    """whoosh.docnums that does not map Whoosh's documents onto the units: the filter says
    rebuild instead of answering with the wrong units."""
    from kb.search.searcher import IndexMissing, Searcher
    from kb.search.segment import DOCNUMS

    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build_index(corpus, tmp_path / "b0")
    add_volume(corpus, 21)
    index = build_index(corpus, tmp_path / "b1", previous=tmp_path / "b0")
    assert Searcher(index).search("看取り", 5, Filters(kind="qa")).hits
    (index / DOCNUMS).write_bytes((index / DOCNUMS).read_bytes()[:-4])
    with pytest.raises(IndexMissing):
        Searcher(index).search("看取り", 5, Filters(kind="qa"))
    assert Searcher(index).search("看取り", 5).hits  # a query without a filter needs no Whoosh


def test_a_new_volume_reads_only_its_own_units_into_postings(tmp_path, fresh_cache, monkeypatch):
    from kb.search import analysed

    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build_index(corpus, tmp_path / "b0")
    read: list[int] = []  # units read into postings, per call (the helper's own check reads them all)
    whole = analysed.field_postings

    def counting(units, tokens=None):
        read.append(len(units))
        return whole(units, tokens)

    monkeypatch.setattr(analysed, "field_postings", counting)
    add_volume(corpus, 21)
    build_index(corpus, tmp_path / "b1", previous=tmp_path / "b0")
    n_units = max(read)  # the helper's comparison: every unit (and Whoosh's new segment: the new units)
    assert 0 < read[0] < n_units / 2  # the build's postings: the new volume's units only
    read.clear()
    for x in ("txt", "toml"):  # a unit removed: made afresh
        (corpus / "documents" / f"tiny-notice.{x}").unlink()
    build_index(corpus, tmp_path / "b2", previous=tmp_path / "b1")
    assert read[0] == max(read)


@pytest.mark.parametrize("seed", range(6))
def test_postings_merged_with_units_added_anywhere_are_the_postings_made_afresh(seed):
    """reuse._merged (previous postings renumbered in stretches, the added units' spliced in by
    runs) against analysed.postings of all the texts: the same documents and counts per term."""
    import random
    from array import array

    from kb.search.analysed import postings

    rng = random.Random(seed)
    words = [f"w{i}" for i in range(30)]
    old_texts = [" ".join(rng.choices(words, k=rng.randint(0, 12))) for _ in range(rng.randint(1, 400))]
    new_texts = list(old_texts)
    for _ in range(rng.randint(1, 4)):  # runs of added units, anywhere (before the first too)
        at = rng.randint(0, len(new_texts))
        new_texts[at:at] = [" ".join(rng.choices(words + ["fresh"], k=rng.randint(1, 9)))
                            for _ in range(rng.randint(1, 30))]
    # which new units are the old ones (the same texts in the same order) and which were added
    placed, n = [], 0
    marked = set()
    for i, t in enumerate(new_texts):
        if n < len(old_texts) and t is old_texts[n]:
            placed.append(i)
            marked.add(i)
            n += 1
    added = [i for i in range(len(new_texts)) if i not in marked]
    terms = str.split
    old_post, old_lengths = postings(old_texts, terms)
    saved = ({t: (bytes(d), bytes(f)) for t, (d, f) in old_post.items()}, array("I", old_lengths).tobytes())
    fresh = postings([new_texts[i] for i in added], terms)
    merged, lengths = reuse._merged(saved, placed, fresh, added, len(new_texts))
    want, want_lengths = postings(new_texts, terms)
    assert lengths == want_lengths
    def plain(post):
        return {t: (list(d), list(f)) for t, (d, f) in post.items()}

    assert plain(merged) == plain(want)


@pytest.mark.parametrize("kernel", [True, False], ids=["copy_file_range", "read and written"])
def test_stored_hits_assembled_from_the_previous_file_and_new_bytes(tmp_path, monkeypatch, kernel):
    """units.bin of a rebuild: spans of the previous file (copied, consecutive ones at once) and new
    units' bytes, in order; the same bytes where the kernel cannot copy between the files."""
    import os

    from kb.search import stored

    old = bytes(range(256)) * 40
    (tmp_path / "old.bin").write_bytes(old)
    if not kernel:
        def refuse(*args):
            raise OSError(18, "Invalid cross-device link")
        monkeypatch.setattr(os, "copy_file_range", refuse)
    copies = []
    real_copy = stored._copy
    monkeypatch.setattr(stored, "_copy", lambda *a: copies.append(a[2:]) or real_copy(*a))
    data = [(0, 10), (10, 300), b"new", (5000, 9000), (9000, 10240), b"a", b"b", (7, 8)]
    with open(tmp_path / "old.bin", "rb") as src, open(tmp_path / "new.bin", "wb", buffering=0) as dst:
        stored._assemble(src.fileno(), dst.fileno(), data)
    want = b"".join(old[b[0]:b[1]] if type(b) is tuple else b for b in data)
    assert (tmp_path / "new.bin").read_bytes() == want
    assert copies == [(0, 300), (5000, 10240), (7, 8)]  # runs of consecutive spans copied at once
