"""The build: inputs -> search units -> one Sudachi analysis -> search index + site,
written to a temporary directory beside the build directory and swapped in, so an
interrupted build leaves the last good one in place."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .search.inputs import load_inputs


def build(corpus_dir: Path | str, build_dir: Path | str, *, site: bool = True, progress=None) -> dict:
    """Build index (and site) into ``build_dir``; returns counts."""
    from .search import analysis
    from .search.index import prepare_analysis, write_index
    from .search.units import build_units, searchable_texts

    corpus_dir, build_dir = Path(corpus_dir), Path(build_dir)
    inputs = load_inputs(corpus_dir)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = build_dir.parent / f".{build_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        units = build_units(inputs.corpus, inputs.rules, inputs.services)
        user_dic = prepare_analysis(tmp / "index", inputs.thesaurus, inputs.services, inputs.rules)
        tokens = analysis.analyse(searchable_texts(units), progress=progress)
        with analysis.using(tokens):  # the index and the browser index reuse this one analysis
            write_index(units, tmp / "index", inputs.thesaurus, inputs.services, user_dic, progress=progress)
            if site:
                from .site.render import render_site

                (tmp / "site").mkdir(parents=True)
                render_site(inputs, units, tmp / "site", progress=progress)
        _swap(tmp, build_dir)
        if user_dic is not None:  # the analysis now reads it from its final place
            analysis.configure(str(build_dir / "index" / user_dic.name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"documents": len(inputs.corpus.documents), "clauses": len(inputs.corpus.clauses),
            "qas": len(inputs.corpus.qas), "rules": len(inputs.rules or []), "units": len(units)}


def _swap(new: Path, target: Path) -> None:
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.replace(old)
    new.replace(target)
    shutil.rmtree(old, ignore_errors=True)
