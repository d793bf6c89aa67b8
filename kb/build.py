"""The build: inputs -> search units -> one Sudachi analysis -> search index + site,
written to a temporary directory beside the build directory and swapped in, so an
interrupted build leaves the last good one in place.

One build at a time per build directory (a lock file beside it): a second one is
refused with :class:`BuildLocked`. The swap exchanges the two directories in one
step where the system can (Linux ``renameat2``), so the build directory's path always
holds a complete build, even if the build is killed mid-swap. The build it replaced stays
beside it as ``.<build>.old-<pid>`` until the next build removes it (in a child process,
while that build works).

What has not changed since the previous build is taken from it: the stages prove it by
content digests (:mod:`kb.search.reuse`, :mod:`kb.site.reuse`, :mod:`kb.site.downloads`), and
the result is the clean build's; so are the caches of the corpus (:mod:`kb.corpus.memo`) and of
the analysis (:mod:`kb.search.analysed`).

Two cores, kept busy by forked children (:mod:`kb.processes`): the previous site's pages are linked
while the corpus loads; once it is loaded, a child finds the rulings asked again while this process
derives the units' texts, and the site's child starts, with what needs no units, and
renders as soon as the units' texts are derived (after the analysis when the workers have much to
analyse); the index, and in a child of its own the browser index, once the units are analysed. The
caches for the next build are written after it, by a process nothing waits for (the next build waits
for it, if it has to). A failed build waits for the children writing into its temporary folder, then
removes it.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from . import processes
from .processes import ChildFailed, Handover, in_background, workers
from .search.inputs import load_inputs
from .unchanged import folder_digests


# texts the analysis workers may still have to read while the site renders beside them (a volume
# added: a few hundred; a first build of 10,000 rulings: 80,000, and the site waits for them)
SITE_BESIDE_ANALYSIS = 2000


# what the builds asked to ``keep`` left alive: never freed (their process ends without: kaigo-kb build)
KEPT: list = []


class BuildFailed(ChildFailed):
    """A step of the build failed (the message says which and why); the last build stays."""


class BuildLocked(RuntimeError):
    """Another build is writing the same build directory."""


def build(corpus_dir: Path | str, build_dir: Path | str, *, site: bool = True, progress=None,
          clean: bool = False, keep: bool = False) -> dict:
    """Build index (and site) into ``build_dir``; returns counts and the seconds of each step.

    The build reuses what the previous build in ``build_dir`` made from what has not changed (each
    stage proves it: :mod:`kb.search.reuse`, :mod:`kb.site.reuse`), with the result of a clean
    build; ``clean`` reuses nothing (but the caches of :mod:`kb.corpus.memo` and
    :mod:`kb.search.analysed`, which are keyed by content). ``keep``: the build's corpus, units and
    analysis are left alive when it returns (in :data:`KEPT`), for a caller that ends its process
    without freeing anything (:func:`kb.cli.common.finish`): freed one by one, their millions of
    objects cost the return ~0.2 s at 10,000 Q&As."""
    import gc
    import time

    from . import unchanged
    from .search import analysis
    from .search.analysed import Analysis
    from .search.index import prepare_analysis
    from .search.units import derive_units, make_units, searchable_texts

    corpus_dir, build_dir = Path(corpus_dir), Path(build_dir)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    with _lock(build_dir):
        started = time.perf_counter(), time.process_time()
        key = unchanged.inputs_key(corpus_dir, site)
        report = None if clean else unchanged.previous_report(build_dir, key)
        if report is not None:  # the same inputs made the files that are there: nothing to do
            if dic := report.pop("user_dic"):
                analysis.configure(str(build_dir / "index" / dic))
            seconds, used = time.perf_counter() - started[0], time.process_time() - started[1]
            return {**report, "unchanged": True, "steps": {"unchanged": round(seconds, 3)},
                    "cpu": {"unchanged": round(used, 3)}, "children": {}}
        sweeping = _clear_leftovers(build_dir)
        tmp = build_dir.parent / f".{build_dir.name}.tmp-{os.getpid()}"
        previous = None if clean else build_dir
        steps: dict[str, float] = {}
        cpu: dict[str, float] = {}  # this process's CPU seconds in each step
        clock = [time.perf_counter(), time.process_time()]
        del processes.finished[:]

        def step(name: str) -> None:
            now, used = time.perf_counter(), time.process_time()
            steps[name], cpu[name] = round(now - clock[0], 3), round(used - clock[1], 3)
            clock[:] = now, used

        collecting = gc.isenabled()
        handover = remember = None
        written: dict[str, bytes] = {}  # digests of the folders the children wrote (kb.unchanged.folder_digests)
        unjoined: list = []  # the children writing into tmp, not waited for yet

        def child(fn, *args):
            """``fn(*args)`` in a forked child (writing into tmp): waited for before tmp is removed."""
            waiting = in_background(fn, *args, error=BuildFailed)
            unjoined.append(waiting)

            def wait():
                unjoined.remove(waiting)
                return waiting()
            return wait

        try:
            # the previous site's pages linked into the new one while this process loads the corpus (the
            # other core is idle then); the pages' plan removes those it does not reuse
            prelinking = (child(_prelink, _stage(previous, "site"), tmp) if site and _stage(previous, "site") is not None
                          else (lambda: None))
            with workers() as pool:  # forked before the corpus is loaded: a worker carries only its Sudachi
                # the corpus and its units live as long as the build: no collector's passes while they are
                # made (each would walk all made so far: a tenth of their time at 10,000 Q&As, to free a few
                # hundred objects), then out of its later passes (what is made later is collected)
                gc.disable()
                inputs = load_inputs(corpus_dir, pool)
                step("load")
                # the rulings asked again (0.2-0.3 s at 10,000 Q&As), which the units and the site's pages
                # read, found once, in a child beside this process: taken back before the units are made,
                # and handed over to the site's child with the units' facets (a failed build waits for it
                # too: it holds the build's lock while it lives)
                repeating = child(_repeats, inputs.corpus) if processes.forks() else None
                # the site in a child from now: what it needs of the units (their categories and the rulings'
                # services) and the pages prelinked are handed over once known; it starts with what needs neither
                handover = Handover() if site and processes.forks() else None
                rendering = child(_site, inputs, handover.take, tmp, previous, progress, collecting) if handover else None
                if rendering is not None and inputs.corpus.memo is not None:
                    inputs.corpus.memo.forget_digests()  # (the rulings' digests: only the site's pages read them)

                def for_site():  # what the site's child is handed over
                    return facets, prelinking(), inputs.corpus.repeats

                user_dic = prepare_analysis(tmp / "index", inputs)
                # each text analysed once, and only when no earlier build did (kb.search.analysed): the
                # units' texts sent to the workers as soon as they are known, analysed while the units
                # are made; then each word form alone, for reading queries (kb.search.vocab)
                tokens = Analysis.cached()
                derived = derive_units(inputs.corpus, inputs.services, pool)
                facets = derived.facets(inputs.corpus, inputs.rules, inputs.services) if site else None
                if repeating is not None:
                    _take_repeats(inputs.corpus, repeating())
                # the new units' texts to the workers at once (the others an earlier build analysed: the
                # cache has them, unless it lost them or another user dictionary reads them)
                tokens.send(derived.searched(derived.fresh), pool)
                # handed over now, the site renders while this process makes the units and reads their
                # analysis; but while the workers analyse many texts (a first build), the cores are
                # theirs: handed over after
                early = tokens.held() and tokens.sending() <= SITE_BESIDE_ANALYSIS
                if handover and early:
                    handover.give(for_site())
                tokens.send(derived.searched(), pool)  # (what the cache holds taken now, the rest sent)
                units = make_units(inputs.corpus, derived, inputs.rules, inputs.services)
                del derived
                gc.freeze()
                if collecting:
                    gc.enable()
                step("units")
                words = _words(inputs, units)
                tokens.add([*searchable_texts(units), *words], pool=pool, progress=progress)
                forms = tokens.forms(searchable_texts(units)) | set(words)
                tokens.add(forms, pool=pool, progress=progress)
                step("analysis")
                # what the next build can reuse, once this one is done (failed too: the analysis is made)
                remember = lambda: _remember_later(inputs.corpus, tokens)  # noqa: E731
            if handover and not early:  # (a first build's)
                handover.give(for_site())
            if rendering is None:  # (no site, or no fork: the site renders in this process)
                given = for_site()
                rendering = (child(_site, inputs, lambda: given, tmp, previous, progress, collecting) if site
                             else (lambda: ([], {})))
            with analysis.using(tokens):  # the index and the browser index reuse this one analysis
                # the postings, the Whoosh index and the browser index beside the site's child
                indexing = child(_index, units, tmp, inputs, user_dic, tokens, forms, previous, site)
                _finished(rendering(), written)
                if site:
                    step("site (after the analysis)")
                _finished(indexing(), written)
                step("index (after the site)" if site else "index")
            with contextlib.suppress(ChildFailed):  # what is not removed now is removed next time
                sweeping()
            _swap(tmp, build_dir)
            step("swap")
            if user_dic is not None:  # the analysis now reads it from its final place
                analysis.configure(str(build_dir / "index" / user_dic.name))
            counts = {"documents": len(inputs.corpus.documents), "clauses": len(inputs.corpus.clauses),
                      "qas": len(inputs.corpus.qas), "rules": len(inputs.rules or []), "units": len(units)}
            # for the next build (kb.unchanged), with the lock held: no other build has swapped yet
            with contextlib.suppress(OSError):  # not written: the next build is a whole one, nothing worse
                if key is not None:
                    unchanged.record(build_dir, key, counts, user_dic.name if user_dic is not None else None, written)
            step("record")
            if keep:
                KEPT.append((inputs, units, tokens, forms, facets))
        finally:
            if handover is not None:  # (given already, or the build failed before: the site child stops)
                handover.close()
            for waiting in list(unjoined):  # a failed build's children, still writing into tmp: done first
                with contextlib.suppress(Exception):
                    waiting()
            shutil.rmtree(tmp, ignore_errors=True)  # a failed build's (the swap moved a finished one)
            if remember is not None:  # written by a process of its own: the next build waits for it, not this one
                with contextlib.suppress(OSError):  # (not written: the next build makes it again)
                    remember()
            gc.unfreeze()
            if collecting:
                gc.enable()
    children = {}
    for name, seconds, used in processes.finished:
        children.setdefault(name.lstrip("_"), {"seconds": round(seconds, 3), "cpu": round(used, 3)})
    return {**counts, "unchanged": False, "steps": steps, "cpu": cpu, "children": children}


def _stage(previous: Path | None, name: str) -> Path | None:
    """The previous build's output of a stage (``index``, ``site``), when there is one."""
    return previous / name if previous is not None and (previous / name).is_dir() else None


def _prelink(previous_site: Path, tmp: Path) -> frozenset[str]:
    """In a child, in the build's first second (its one process loads the corpus, the other core is
    idle): every page of the previous site hard-linked into ``tmp``'s, before the pages are known;
    returns the paths linked, for :func:`kb.site.reuse.plan`, which removes those it does not reuse
    before any page is written (a file written through a link would be the previous build's)."""
    from .site.paths import PAGE_SUFFIX
    from .sources.files import link_files

    return link_files(previous_site, tmp / "site", PAGE_SUFFIX)


def _site(inputs, given, tmp: Path, previous: Path | None, progress, collecting: bool) -> list:
    """In a child forked once the corpus is loaded: the site's pages and downloads
    (:func:`kb.site.render.render_site`; the browser index is the index child's), from the units'
    :class:`~kb.search.units.Facets`, the pages prelinked and the rulings asked again
    (:attr:`kb.corpus.load.Corpus.repeats`), which ``given()`` returns once they are known
    (:meth:`kb.processes.Handover.take`)."""
    import gc

    from .site.render import render_site

    def take():
        facets, prelinked, repeats = given()
        inputs.corpus.repeats = repeats  # (a cached property: found by the build's child, _repeats)
        return facets, prelinked

    known = len(processes.finished)  # what this child inherited
    gc.freeze()  # the corpus, inherited: out of the collector's passes (each would walk all of it)
    if collecting:
        gc.enable()
    (tmp / "site").mkdir(parents=True, exist_ok=True)
    render_site(inputs, None, tmp / "site", progress=progress, previous=_stage(previous, "site"),
                state=tmp / "state" / "site", browser=False, handover=take)
    # its children's times (the downloads', the links'), for the build's report; and the digests of the
    # folders it wrote, all but the site's top (the browser index's files), made here beside the other
    # children so that the build's record (kb.unchanged.record) does not walk them alone at its end
    return processes.finished[known:], folder_digests(tmp, ["state/site", *(f"site/{d}" for d in _folders(tmp / "site"))])


def _repeats(corpus) -> tuple[dict, tuple | None]:
    """In a child: the rulings asked again (:attr:`kb.corpus.load.Corpus.repeats`), and what finding
    them used of the corpus's memo (:meth:`kb.corpus.memo.Memo.apart`), for :func:`_take_repeats`."""
    if corpus.memo is not None:
        corpus.memo.apart()
    return corpus.repeats, corpus.memo.used() if corpus.memo is not None else None


def _take_repeats(corpus, found: tuple[dict, tuple | None]) -> None:
    """What :func:`_repeats` found, as if ``corpus`` had found it: its ``repeats`` (a cached
    property, set), and the memo's use (what the next build reuses of it)."""
    repeats, used = found
    corpus.repeats = repeats
    if used is not None and corpus.memo is not None:
        corpus.memo.take(used)


def _index(units, tmp: Path, inputs, user_dic, tokens, forms, previous: Path | None, site: bool) -> list:
    """In a child: the units' postings (:func:`kb.search.reuse.postings`: the previous build's
    where only units were added), then the Whoosh index; and in a child of its own, started first and
    handed the postings, the site's browser index."""
    from .search import reuse
    from .search.index import write_index

    known = len(processes.finished)  # what this child inherited
    browser = lambda: None  # noqa: E731
    handover = None
    if site:
        # what the index and the browser index both use, imported once, before that child is forked
        import numpy  # noqa: F401
        import whoosh.util.numeric  # noqa: F401

        from .site.browser_index import browser_index

        # forked first: it makes what needs no postings (search-text.js, the vocabulary) while this
        # process makes them, and takes them once they are made
        handover = Handover()
        browser = in_background(browser_index, tmp / "site", units, inputs, tokens, handover.take)
    try:
        text_keys = reuse.text_digests(units)
        fields = reuse.postings(units, text_keys, tokens, _stage(previous, "index"), reuse.build_key(user_dic))
        if handover is not None:
            handover.give(fields)
    finally:
        if handover is not None:  # (given, or failed before: the browser index's child stops)
            handover.close()
    write_index(units, tmp / "index", inputs.thesaurus, inputs.services, user_dic, tokens, fields, forms,
                _stage(previous, "index"), tmp / "state" / "index", text_keys)
    browser()
    # the browser index's time, for the build's report; the digests of the folders written, for the record
    return processes.finished[known:], folder_digests(tmp, ["index", "state/index"])


def _folders(path: Path) -> list[str]:
    return sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False)) if path.is_dir() else []


def _finished(result: tuple[list, dict], written: dict) -> None:
    """A child's report: its children's times (to :data:`kb.processes.finished`) and its folders'
    digests (into ``written``)."""
    times, digests = result
    processes.finished.extend(times)
    written.update(digests)


def _remember_later(corpus, tokens) -> None:
    """:func:`_remember` in a process nothing waits for (:func:`kb.processes.detached`), holding the
    cache folder's lock while it writes."""
    from .locations import CACHE_LOCK, cache_dir, locked

    folder = cache_dir()
    if folder is not None and ((corpus.memo is not None and corpus.memo.unsaved()) or tokens.unsaved()):
        # (another build's writer still at work: after it)
        processes.detached(_remember, corpus, tokens, holding=locked(folder / CACHE_LOCK, exclusive=True))


def _remember(corpus, tokens) -> None:
    """Save what the next build reuses: the corpus's memo (kb.corpus.memo) and the analysis cache."""
    if corpus.memo is not None:
        corpus.memo.save()
    tokens.save()


def _words(inputs, units) -> list[str]:
    """The words the browser's vocabulary and the query side hold besides the units' (search
    text of the thesaurus's terms and targets and of the user dictionary's words), and the topics
    a bare reference reads (kb.search.searcher.topic_query) where they are one word."""
    from .corpus.normalize import query_text, search_text
    from .search.index import domain_words
    from .search.searcher import topic_query

    words = [*domain_words(inputs), *(t for targets in inputs.thesaurus.as_map().values() for t, _w in targets)]
    topics = {query_text(t) for t in {topic_query(u.data) for u in units if u.kind == "qa"}}
    return sorted(({search_text(w) for w in words} | {t for t in topics if " " not in t}) - {""})


@contextlib.contextmanager
def _lock(build_dir: Path):
    """Hold ``.<build>.lock`` beside the build directory; refuse if another build holds it.
    Refused, not queued: the running build already makes what a second one would. The
    kernel drops the lock when its process ends, however it ends."""
    import fcntl

    path = build_dir.parent / f".{build_dir.name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 20, 0).decode("ascii", "replace").strip()
            raise BuildLocked(
                f"another build is writing {build_dir}" + (f" (process {holder})" if holder else "")
                + "; wait for it to finish, or pass another --build-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _clear_leftovers(build_dir: Path):
    """Remove what earlier builds left beside ``build_dir`` (safe: we hold the lock): the build
    before the last one (``.old-*``, kept by :func:`_swap`) and whatever a killed build left
    (``.tmp-*``), in a child process while this build goes on; return the function that waits
    for it. A swap cut between its two renames left the previous build as ``.old-*`` and no
    build: put it back."""
    olds = sorted(build_dir.parent.glob(f".{build_dir.name}.old-*"))
    if olds and not build_dir.exists():
        olds.pop(0).replace(build_dir)
    gone = [*olds, *build_dir.parent.glob(f".{build_dir.name}.tmp-*")]
    return in_background(_remove, gone) if gone else (lambda: None)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False where
    the system or file system cannot."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; the previous build ends up beside it as ``.old-*``, removed by
    the next build while it works (deleting thousands of files is not this build's wait)."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists() and _exchange(new, target):
        new.replace(old)
    elif not target.exists():
        new.replace(target)
    else:
        target.replace(old)
        new.replace(target)  # a kill before this line: _clear_leftovers puts `old` back
