"""The build: one pass over corpus, units and analysis, handed to the index and the site; each
text analysed once, and across builds only when it is new."""
import shutil
from collections import Counter
from pathlib import Path

import pytest

from kb.build import BuildFailed, build
from kb.search import analysis, units

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"


@pytest.fixture
def analysed_here(monkeypatch):
    """The analysis workers run in this process, and every text Sudachi analyses is counted."""
    from kb.search import analysed

    monkeypatch.setattr(analysed, "in_children", lambda fn, jobs, workers=1, pool=None: map(fn, jobs))
    counted: Counter = Counter()
    real_chunks = analysis._chunks

    def counting_chunks(text):  # called once each time Sudachi really analyses a text
        counted[text] += 1
        return real_chunks(text)

    monkeypatch.setattr(analysis, "_chunks", counting_chunks)
    return counted


def _unit_texts(corpus_dir) -> set[str]:
    from kb.search.inputs import load_inputs

    i = load_inputs(corpus_dir)
    return {t for t in units.searchable_texts(units.build_units(i.corpus, i.rules, i.services)) if t}


VOL21 = ("令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）\n\n問１ 看取りの記録は電子媒体で保存してよいか。\n（答）\n差し支えない。\n",
         'id = "tiny-qa-vol21"\ntitle = "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）"\nkind = "Q&A"\n'
         'issuer = "厚生労働省老健局"\ndate = 2026-03-01\nseries = "令和６年度介護報酬改定に関するＱ＆Ａ"\nvolume = 21\n')


def test_the_build_analyses_each_text_once_and_a_rebuild_only_what_is_new(tmp_path, monkeypatch, fresh_cache,
                                                                           analysed_here):
    made: list[list] = []
    real_make_units = units.make_units

    def counting_make_units(*args, **kwargs):
        made.append(real_make_units(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(units, "make_units", counting_make_units)
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build(corpus, tmp_path / "build", site=True)

    assert len(made) == 1
    texts = [t for t in units.searchable_texts(made[0]) if t]
    assert texts
    twice = {t: analysed_here[t] for t in texts if analysed_here[t] != 1}
    assert twice == {}, "a unit text was analysed more than once (or never)"
    assert (tmp_path / "build" / "site" / "search-index.js").exists()

    analysed_here.clear()
    build(corpus, tmp_path / "build", site=True)
    assert not analysed_here, "an unchanged corpus was analysed again"

    before = _unit_texts(corpus)
    (corpus / "documents" / "tiny-qa-vol21.txt").write_text(VOL21[0], encoding="utf-8")
    (corpus / "documents" / "tiny-qa-vol21.toml").write_text(VOL21[1], encoding="utf-8")
    analysed_here.clear()
    build(corpus, tmp_path / "build", site=True)
    new = _unit_texts(corpus) - before
    assert new and set(analysed_here) - {w for w in analysed_here if w not in new and len(w) < 20} == new


def test_a_volume_that_names_a_new_kasan_leaves_the_dictionary_and_the_analysis_of_the_rest(
        tmp_path, monkeypatch, fresh_cache, analysed_here):
    """The user dictionary comes from the configuration (thesaurus, services, rules), not from the
    documents: a volume filed under a 加算 the corpus never named compiles no dictionary and analyses
    only its own texts (with the rulings' topics in the dictionary, it was a whole build again)."""
    from kb.search import index

    compiled = []
    real_ubuild = index._ubuild
    monkeypatch.setattr(index, "_ubuild", lambda *a: compiled.append(a) or real_ubuild(*a))
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build(corpus, tmp_path / "build", site=False)
    dic = (tmp_path / "build" / "index" / "user.dic").read_bytes()
    name = "架空連携推進体制加算"
    assert name not in (tmp_path / "build" / "index" / "user.words").read_text(encoding="utf-8").split()

    before = _unit_texts(corpus)
    text, meta = VOL21
    text = text.replace("\n\n問１", f"\n\n○ {name}について\n問１ {name}の")
    (corpus / "documents" / "tiny-qa-vol21.txt").write_text(text, encoding="utf-8")
    (corpus / "documents" / "tiny-qa-vol21.toml").write_text(meta, encoding="utf-8")
    compiled.clear()
    analysed_here.clear()
    build(corpus, tmp_path / "build", site=False)
    assert any(name in t for t in _unit_texts(corpus))  # (the ruling is filed under it)
    assert (tmp_path / "build" / "index" / "user.dic").read_bytes() == dic and compiled == []
    new = _unit_texts(corpus) - before
    assert new and set(analysed_here) - {w for w in analysed_here if w not in new and len(w) < 20} == new


def test_a_build_from_the_cache_is_the_clean_build(tmp_path, monkeypatch, fresh_cache):
    """Built with an earlier build's cache, after a volume was added, the output is byte for byte
    what a build with no cache makes (the Whoosh files compared by content: their names are random)."""
    import sys

    from tests.test_index import _contents

    sys.path.insert(0, str(ROOT / "bench"))
    import synth

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    build(corpus, tmp_path / "first")
    synth.add_volume(corpus, 101, 20)
    build(corpus, tmp_path / "cached")
    monkeypatch.setenv("KAIGO_KB_CACHE", "off")
    build(corpus, tmp_path / "clean")

    def files(root):
        # (not the record of the build's own files, kb.unchanged: their times differ)
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and not p.name.startswith(("MAIN_", "_MAIN_")) and p.name != "build.json"}

    cached, clean = files(tmp_path / "cached"), files(tmp_path / "clean")
    assert sorted(cached) == sorted(clean)
    assert [name for name in clean if cached[name] != clean[name]] == []
    assert _contents(tmp_path / "cached" / "index") == _contents(tmp_path / "clean" / "index")


def test_outside_the_build_tokenize_analyses_afresh():
    from kb.search.analysed import Analysis

    text = "協力医療機関連携加算の算定"
    fresh = analysis.tokenize(text)
    held = Analysis().add([text], workers=0)
    assert held.tokens(text) == fresh and held.tokens("算定") is None
    held.texts[text] = held.texts[text][:0]
    with analysis.using(held):
        assert analysis.tokenize(text) == []
    assert analysis.tokenize(text) == fresh


def test_an_error_while_indexing_in_the_background_fails_the_build_and_keeps_the_last_one(tmp_path, monkeypatch):
    from kb.search import index

    out = tmp_path / "build"
    build(TINY, out, site=False)
    before = sorted(p.name for p in (out / "index").iterdir())

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(index, "write_index", broken)
    with pytest.raises(BuildFailed, match="disk full"):
        build(TINY, out, site=True)
    assert sorted(p.name for p in (out / "index").iterdir()) == before
    assert not (out / "site").exists()
    assert not list(tmp_path.glob(".build.tmp-*"))


def test_an_error_in_the_pages_rendered_in_a_child_fails_the_build_in_one_line(tmp_path, monkeypatch):
    from kb.site import render

    import os

    real, parent = render._render_pages, os.getpid()

    def broken(*args, **kwargs):
        if os.getpid() != parent:  # the half rendered in the child
            raise RuntimeError("template broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(render, "_render_pages", broken)
    monkeypatch.setattr(render, "CHILD_PAGES", 2)  # a child even for the few pages of the tiny corpus
    out = tmp_path / "build"
    with pytest.raises(BuildFailed, match="RuntimeError: template broke"):
        build(TINY, out, site=True)
    assert not out.exists()


def test_the_replaced_build_stays_beside_until_the_next_build_removes_it(tmp_path):
    out = tmp_path / "build"
    build(TINY, out, site=False)
    assert not list(tmp_path.glob(".build.old-*"))
    first = (out / "index" / "lookup.json").read_bytes()
    build(TINY, out, site=False, clean=True)
    (old,) = tmp_path.glob(".build.old-*")
    assert (old / "index" / "lookup.json").read_bytes() == first  # the build replaced, whole
    shutil.rmtree(out)  # as a swap cut between its renames leaves it: the next build puts it back first
    counts = build(TINY, out, site=False)
    assert counts["steps"]["load"] >= 0 and "swap" in counts["steps"]
    assert len(list(tmp_path.glob(".build.old-*"))) == 1 and not list(tmp_path.glob(".build.tmp-*"))
    build(TINY, out, site=False)
    assert len(list(tmp_path.glob(".build.old-*"))) == 1  # only the last one replaced


def test_a_build_reports_each_steps_cpu_and_each_child_process(tmp_path):
    counts = build(TINY, tmp_path / "build")
    assert set(counts["cpu"]) == set(counts["steps"])
    assert all(0 <= counts["cpu"][k] for k in counts["cpu"])
    children = counts["children"]
    # the site, the index (with the browser index it starts) and the pages' downloads, each in a child
    assert {"site", "index", "browser_index", "exports"} <= set(children)
    assert all(c["seconds"] >= 0 and c["cpu"] >= 0 for c in children.values())
    assert (tmp_path / "build" / "site" / "search-index.js").is_file()  # what the grandchild wrote, swapped in


def test_a_moved_corpus_folder_reuses_the_documents_and_the_pages(tmp_path, monkeypatch, fresh_cache):
    """Where the corpus folder is (moved, renamed, named by a relative path) is not part of what
    the caches and the previous build's pages are keyed by."""
    from kb.corpus import load

    first = tmp_path / "corpus"
    shutil.copytree(TINY, first)
    monkeypatch.chdir(tmp_path)
    build(Path("corpus"), tmp_path / "build")  # a relative path
    page = next(p for p in sorted((tmp_path / "build" / "site").rglob("*.html")) if "qa" in p.parts)
    inode = page.stat().st_ino
    moved = tmp_path / "elsewhere" / "kaigo-corpus"
    moved.parent.mkdir()
    first.rename(moved)
    segmented = []
    real = load._segmented
    monkeypatch.setattr(load, "_segmented", lambda doc: segmented.append(doc.id) or real(doc))
    result = build(moved, tmp_path / "build")
    assert result["unchanged"] is False  # another folder: built, not taken as it is
    assert segmented == []  # every document's clauses and Q&As from the cache
    assert page.stat().st_ino == inode  # the page linked from the previous build, not rendered


def test_the_site_rendered_beside_the_units_or_after_their_analysis_is_the_same(tmp_path, monkeypatch):
    """The site's child is forked once the corpus is loaded; the units' facets are handed over to
    it before the units are made, unless the workers have many texts to analyse
    (kb.build.SITE_BESIDE_ANALYSIS): then after their analysis. The same site either way."""
    import kb.build
    from kb import processes

    order: list[str] = []
    real_fork, real_make, real_give = kb.build.in_background, units.make_units, processes.Handover.give
    monkeypatch.setattr(kb.build, "in_background", lambda fn, *a, **k: order.append(fn.__name__) or real_fork(fn, *a, **k))
    monkeypatch.setattr(units, "make_units", lambda *a, **k: order.append("units") or real_make(*a, **k))
    monkeypatch.setattr(processes.Handover, "give", lambda self, v: order.append("given") or real_give(self, v))
    build(TINY, tmp_path / "first")  # the analysis cache holds the texts: the facets may be handed over early
    sites = {}
    for limit in (kb.build.SITE_BESIDE_ANALYSIS, -1):
        monkeypatch.setattr(kb.build, "SITE_BESIDE_ANALYSIS", limit)
        del order[:]
        out = tmp_path / f"build{limit}"
        build(TINY, out)
        sites[limit] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "site").rglob("*"))
                        if p.is_file()}
        assert order.index("_site") < order.index("units"), order  # forked first either way
        assert (order.index("given") < order.index("units")) == (limit >= 0), order
    early, late = sites.values()
    assert early.keys() == late.keys() and [p for p in early if early[p] != late[p]] == []


def test_bad_input_leaves_nothing_half_written_beside_the_last_build(tmp_path, monkeypatch):
    """The corpus fails to load while a child still links the previous site's pages into the new
    build's folder: the build waits for it, then removes the folder; the last build stays."""
    import time

    import kb.build
    from kb.sources.files import DataError

    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    out = tmp_path / "build"
    build(corpus, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    real = kb.build._prelink

    def slow(*args):  # still linking when the load has failed
        time.sleep(0.5)
        return real(*args)

    monkeypatch.setattr(kb.build, "_prelink", slow)
    (corpus / "services.toml").write_text("[[service]\n", encoding="utf-8")
    with pytest.raises(DataError):
        build(corpus, out)
    time.sleep(1.5)  # (a child left running would have linked by now)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build.tmp-")] == []
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_a_build_failing_while_the_site_child_waits_for_the_units_stops_it(tmp_path, monkeypatch):
    """The site's child is forked once the corpus is loaded and waits for the units' facets: a build
    that fails before it hands them over stops that child too, leaves nothing behind, and does not hang."""
    import signal

    out = tmp_path / "build"
    build(TINY, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(*args, **kwargs):
        raise RuntimeError("derive failed")

    monkeypatch.setattr(units, "derive_units", broken)
    signal.signal(signal.SIGALRM, lambda *a: pytest.fail("the build waited for its site child"))
    signal.alarm(60)
    try:
        with pytest.raises(RuntimeError, match="derive failed"):
            build(TINY, out, clean=True)
    finally:
        signal.alarm(0)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build.tmp-")] == []
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def _slow_remember(seconds: float):
    import time

    import kb.build

    real = kb.build._remember

    def slow(*args):
        time.sleep(seconds)
        real(*args)
    return slow


def test_the_caches_are_written_after_the_build_and_the_next_build_waits_for_them(tmp_path, monkeypatch, fresh_cache):
    """A build returns while a process of its own still writes the caches (kb.processes.detached);
    it holds the cache folder's lock, and not the build folder's: the next build of the same folder
    starts (is not refused), waits for the caches, and reuses them."""
    import fcntl
    import os

    import kb.build
    from kb.locations import CACHE_LOCK

    monkeypatch.setattr(kb.build, "_remember", _slow_remember(2))
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build(corpus, tmp_path / "build")
    fd = os.open(fresh_cache / CACHE_LOCK, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):  # still writing
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    finally:
        os.close(fd)
    (corpus / "glossary-note.txt").write_text("x", encoding="utf-8")  # (another input: not unchanged)
    analysed = []
    from kb.search import analysed as analysed_module

    real_analyse = analysed_module._analyse
    monkeypatch.setattr(analysed_module, "_analyse", lambda texts, *a, **k: analysed.extend(texts) or real_analyse(texts, *a, **k))
    result = build(corpus, tmp_path / "build")  # (BuildLocked if the writer held the build's lock)
    assert result["unchanged"] is False
    assert analysed == []  # every text from the cache the first build left


def test_a_build_process_ends_its_output_before_the_caches_are_written(tmp_path, fresh_cache):
    """Whoever reads a build's output to its end (a pipe: subprocess, `kaigo-kb build | tee`) is not
    kept waiting by the process writing the caches."""
    import fcntl
    import os
    import subprocess
    import sys

    from kb.locations import CACHE_LOCK

    script = ("import sys, tests.test_build as t, kb.build; kb.build._remember = t._slow_remember(5); "
              "kb.build.build(sys.argv[1], sys.argv[2]); print('built')")
    proc = subprocess.run([sys.executable, "-c", script, str(TINY), str(tmp_path / "build")], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "KAIGO_KB_CACHE": str(fresh_cache)}, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "built", proc.stderr
    fd = os.open(fresh_cache / CACHE_LOCK, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):  # the output ended while the caches were still being written
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_the_rulings_asked_again_are_found_in_a_child_and_the_next_build_reuses_its_comparisons(
        tmp_path, monkeypatch, fresh_cache):
    """The rulings asked again are found in a child beside the build (kb.build._repeats); what that
    used of the corpus's memo comes back to the build, so the cache it leaves holds the groups and the
    comparisons, and the next build with a volume added compares only the new rulings' questions."""
    from kb.corpus import rulings
    from kb.corpus.load import load_corpus
    from kb.corpus.memo import Memo

    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    build(corpus, tmp_path / "build")
    memo = Memo.open()  # (waits for the build's cache writer)
    ids, _digests, _roots = memo.state(rulings.REPEATS_STATE)
    assert ids == [q.id for q in load_corpus(corpus, memo=False).qas]

    # a new volume asking again, under the same topic and in other words, what Vol.20 問1 asked
    (corpus / "documents" / "tiny-qa-vol21.txt").write_text(
        "令和６年度介護報酬改定に関するＱ＆Ａ（Vol.21）\n\n【短期入所生活介護】\n○ 看取り連携体制加算について\n"
        "問１ ショートステイの利用者について、看取り連携体制加算は算定できますか。\n（答）\n算定できる。\n", encoding="utf-8")
    (corpus / "documents" / "tiny-qa-vol21.toml").write_text(VOL21[1], encoding="utf-8")
    compared = []
    real_alike = rulings._alike
    monkeypatch.setattr(rulings, "_alike", lambda a, b, counts: compared.append((a, b)) or real_alike(a, b, counts))
    monkeypatch.setattr("kb.processes.forks", lambda: False)  # (the comparisons counted here, in this process)
    build(corpus, tmp_path / "build")
    new = rulings.question_key("ショートステイの利用者について、看取り連携体制加算は算定できますか。")
    assert compared and all(new in pair for pair in compared), "Vol.20's questions were compared again"
    again = load_corpus(corpus, memo=False)
    assert [again.qas_by_id[i].volume for i in again.repeats["r6-qa-vol20-q1"]] == [21, 20]


def test_a_build_that_fails_while_the_repeats_child_works_waits_for_it(tmp_path, monkeypatch):
    """The child finding the rulings asked again holds the build's lock while it lives: a build that
    fails before it takes the child's result back still waits for it, and the next build is not refused."""
    import kb.build
    from kb.search import index

    def failing(*args, **kwargs):
        raise RuntimeError("the user dictionary could not be compiled")

    # a result too large for a pipe: the child waits until someone reads it
    monkeypatch.setattr(kb.build, "_repeats", lambda corpus: ({"padding": "x" * (1 << 20)}, None))
    monkeypatch.setattr(index, "prepare_analysis", failing)
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY, corpus)
    with pytest.raises(RuntimeError):
        build(corpus, tmp_path / "build")
    monkeypatch.undo()
    assert build(corpus, tmp_path / "build")["qas"] == 3  # (BuildLocked while the child lived)
    assert not list(tmp_path.glob(".build.tmp-*"))


def test_a_build_asked_to_keep_its_objects_leaves_them_alive_and_only_the_command_line_asks(tmp_path, monkeypatch):
    """Freeing a build's corpus and units at its return costs 0.15-0.5 s at 10,000 Q&As; the command
    line, which ends its process without freeing anything, asks the build to keep them."""
    import kb.build
    from click.testing import CliRunner

    from kb.cli import common, main

    monkeypatch.setattr(kb.build, "KEPT", [])
    counts = build(TINY, tmp_path / "build", site=False)
    assert kb.build.KEPT == []  # a library call's objects are freed as usual
    counts = build(TINY, tmp_path / "build", site=False, clean=True, keep=True)
    [(inputs, units_kept, *_rest)] = kb.build.KEPT
    assert len(inputs.corpus.documents) == counts["documents"] and len(units_kept) == counts["units"]

    asked = []
    monkeypatch.setattr(kb.build, "build", lambda *a, **k: asked.append(k["keep"]) or counts)
    monkeypatch.setattr("kb.cli.commands.finish", lambda: None)
    for own in (False, True):
        monkeypatch.setattr(common, "OWN_PROCESS", own)
        result = CliRunner().invoke(main, ["build", "--corpus", str(TINY), "--build-dir", str(tmp_path / "b2")])
        assert result.exit_code == 0, result.output
    assert asked == [False, True]
