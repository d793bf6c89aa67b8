"""Everything a build reads, loaded and checked once: the corpus, the service list,
the rule entries (checked against the corpus) and the thesaurus.

:func:`load_inputs` is the one place these checks run; the index and the site get the
same :class:`Inputs`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..corpus.load import Corpus, load_corpus
from .thesaurus import Thesaurus, load_thesaurus


class CheckError(Exception):
    """Bad input found by a check across files; the message names file and field."""


@dataclass
class Inputs:
    corpus: Corpus
    rules: list | None
    services: object | None
    thesaurus: Thesaurus


def load_inputs(corpus_dir: Path | str) -> Inputs:
    """Load and check everything the build needs; raises DataError or CheckError on bad data."""
    corpus_dir = Path(corpus_dir)
    corpus = load_corpus(corpus_dir)
    services = rules = None
    if (corpus_dir / "services.toml").exists():
        from ..rules.services import load_services

        services = load_services(corpus_dir)
    if (corpus_dir / "rules").is_dir():
        from ..rules.entries import check_rules, load_rules

        rules = load_rules(corpus_dir)
        problems = check_rules(corpus, rules, services)
        if problems:
            more = f" (and {len(problems) - 1} more; run kaigo-kb rules check)" if len(problems) > 1 else ""
            raise CheckError(problems[0] + more)
    return Inputs(corpus, rules, services, load_thesaurus(corpus_dir))
