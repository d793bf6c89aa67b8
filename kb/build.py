"""The build: corpus -> checks -> search index + site, written to a temporary
directory beside the build directory and swapped in, so an interrupted build leaves
the last good one in place."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .corpus import Corpus, load_corpus
from .thesaurus import load_thesaurus


class BuildError(Exception):
    """Bad input found by a build check; the message names file and field."""


@dataclass
class Inputs:
    corpus: Corpus
    rules: list | None
    services: object | None
    thesaurus: object


def load_inputs(corpus_dir: Path) -> Inputs:
    """Load and check everything the build needs; raises DataError on bad data."""
    corpus = load_corpus(corpus_dir)
    services = rules = None
    if (Path(corpus_dir) / "services.toml").exists():
        from .services import load_services

        services = load_services(Path(corpus_dir))
    if (Path(corpus_dir) / "rules").is_dir():
        from .rules import check_rules, load_rules

        rules = load_rules(Path(corpus_dir))
        problems = check_rules(corpus, rules, services)
        if problems:
            more = f" (and {len(problems) - 1} more; run kaigo-kb rules check)" if len(problems) > 1 else ""
            raise BuildError(problems[0] + more)
    return Inputs(corpus, rules, services, load_thesaurus(corpus_dir))


def build(corpus_dir: Path | str, build_dir: Path | str, *, site: bool = True, progress=None) -> dict:
    """Build index (and site) into ``build_dir``; returns counts."""
    from .index import write_index
    from .units import build_units

    corpus_dir, build_dir = Path(corpus_dir), Path(build_dir)
    inputs = load_inputs(corpus_dir)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = build_dir.parent / f".{build_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        units = build_units(inputs.corpus, inputs.rules, inputs.services)
        write_index(units, tmp / "index", inputs.thesaurus, inputs.services, inputs.rules, progress=progress)
        if site:
            from .site import render_site

            (tmp / "site").mkdir(parents=True)
            render_site(inputs.corpus, tmp / "site", rules=inputs.rules, services=inputs.services,
                        thesaurus=inputs.thesaurus, progress=progress)
        _swap(tmp, build_dir)
        if (build_dir / "index" / "user.dic").exists():  # the analysis now reads it from its final place
            from . import analysis

            analysis.configure(str(build_dir / "index" / "user.dic"))
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
