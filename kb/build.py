"""The build: inputs -> search units -> one Sudachi analysis -> search index + site,
written to a temporary directory beside the build directory and swapped in, so an
interrupted build leaves the last good one in place."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .search.inputs import load_inputs


class BuildFailed(Exception):
    """A step of the build failed (the message says which and why); the last build stays."""


def build(corpus_dir: Path | str, build_dir: Path | str, *, site: bool = True, progress=None) -> dict:
    """Build index (and site) into ``build_dir``; returns counts."""
    from .search import analysis
    from .search.analysed import Analysis, field_postings, workers
    from .search.index import prepare_analysis, write_index
    from .search.units import build_units, searchable_texts

    corpus_dir, build_dir = Path(corpus_dir), Path(build_dir)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = build_dir.parent / f".{build_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with workers() as pool:  # forked before the corpus is loaded: a worker carries only its Sudachi
            inputs = load_inputs(corpus_dir)
            units = build_units(inputs.corpus, inputs.rules, inputs.services)
            user_dic = prepare_analysis(tmp / "index", inputs)
            # each text analysed once, and only when no earlier build did (kb.search.analysed);
            # then each word form alone, for reading queries (kb.search.vocab)
            words = _words(inputs, units)
            tokens = Analysis.cached().add([*searchable_texts(units), *words], pool=pool, progress=progress)
            forms = tokens.forms(searchable_texts(units)) | set(words)
            tokens.add(forms, pool=pool, progress=progress).save()
        fields = field_postings(units, tokens)
        with analysis.using(tokens):  # the index and the browser index reuse this one analysis
            # the Whoosh index on the other core while this process renders the site
            indexing = _in_background(write_index, units, tmp / "index", inputs.thesaurus, inputs.services, user_dic,
                                      tokens, fields, forms)
            if site:
                from .site.render import render_site

                (tmp / "site").mkdir(parents=True)
                render_site(inputs, units, tmp / "site", progress=progress, analysed=tokens, fields=fields)
            indexing()
        _swap(tmp, build_dir)
        if user_dic is not None:  # the analysis now reads it from its final place
            analysis.configure(str(build_dir / "index" / user_dic.name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"documents": len(inputs.corpus.documents), "clauses": len(inputs.corpus.clauses),
            "qas": len(inputs.corpus.qas), "rules": len(inputs.rules or []), "units": len(units)}


def _words(inputs, units) -> list[str]:
    """The words the browser's vocabulary and the query side hold besides the units' (search
    text of the thesaurus's terms and targets and of the user dictionary's words), and the topics
    a bare reference reads (kb.search.searcher.topic_query) where they are one word."""
    from .corpus.normalize import query_text, search_text
    from .search.index import domain_words
    from .search.searcher import topic_query

    words = [*domain_words(inputs), *(t for targets in inputs.thesaurus.as_map().values() for t, _w in targets)]
    topics = {query_text(topic_query(u.data)) for u in units if u.kind == "qa"}
    return sorted(({search_text(w) for w in words} | {t for t in topics if " " not in t}) - {""})


def _in_background(fn, *args):
    """Start ``fn(*args)`` in a forked child, which shares this process's memory (units,
    analysis) copy-on-write; return a function that waits for it and raises its error.
    Where fork is not available, ``fn`` runs at once and the function returned does nothing."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        fn(*args)
        return lambda: None
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    child.start()
    send.close()

    def wait() -> None:
        try:
            error = receive.recv()
        except EOFError:  # the child died before it could say why
            error = None
        child.join()
        if error or child.exitcode:
            raise BuildFailed(error or f"{fn.__name__} ended with exit code {child.exitcode}")

    return wait


def _child(send, fn, args) -> None:
    try:
        fn(*args)
        send.send(None)
    except BaseException as e:  # the parent re-raises it as one line
        send.send(f"{fn.__name__}: {type(e).__name__}: {e}")
        raise SystemExit(1) from None


def _swap(new: Path, target: Path) -> None:
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.replace(old)
    new.replace(target)
    shutil.rmtree(old, ignore_errors=True)
