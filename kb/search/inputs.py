"""Everything a build reads, loaded and checked once: the corpus, the service list,
the rule entries (checked against the corpus) and the thesaurus.

:func:`load_inputs` is the one place these checks run; the build, ``kaigo-kb corpus
check``, the index and the site all get the same :class:`Inputs`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..corpus.load import Corpus, load_corpus
from ..sources.files import DataError
from .thesaurus import Thesaurus, load_thesaurus

# files every corpus has, and what they hold (for the message when one is missing)
REQUIRED_FILES = {"services.toml": "the service list", "thesaurus.toml": "the thesaurus (abbreviations, synonyms)"}


class CheckError(Exception):
    """Bad input found by a check across files; the message names file and field."""


@dataclass
class Inputs:
    corpus: Corpus
    rules: list | None
    services: object | None
    thesaurus: Thesaurus


def _require_files(corpus_dir: Path) -> None:
    for name, what in REQUIRED_FILES.items():
        path = corpus_dir / name
        if not path.exists() and not path.is_symlink():
            raise DataError(path, None, f"{what} is missing; every corpus needs {name} "
                                        "(start from the one in kaigo-kb's own corpus/)")


def load_inputs(corpus_dir: Path | str, pool=None) -> Inputs:
    """Load and check everything the build needs; raises DataError or CheckError on bad data.
    ``pool``: the build's workers (:func:`kb.processes.workers`), to read the documents side by side."""
    from ..rules.entries import RULES_DIR, check_rules, load_rules
    from ..rules.services import load_services

    corpus_dir = Path(corpus_dir)
    _require_files(corpus_dir)
    corpus = load_corpus(corpus_dir, pool=pool)
    services = load_services(corpus_dir)
    rules = None
    rules_dir = corpus_dir / RULES_DIR
    if rules_dir.exists() and not rules_dir.is_dir():
        raise DataError(rules_dir, None, "not a folder; rule entries go in rules/*.toml")
    if rules_dir.is_dir():
        rules = load_rules(corpus_dir)
        problems = check_rules(corpus, rules, services)
        if problems:
            more = f" (and {len(problems) - 1} more; run kaigo-kb rules check)" if len(problems) > 1 else ""
            raise CheckError(problems[0] + more)
    return Inputs(corpus, rules, services, load_thesaurus(corpus_dir, services))
