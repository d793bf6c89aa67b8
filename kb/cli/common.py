"""What every command shares: option definitions, JSON output, turning library errors
into one-line messages."""
from __future__ import annotations

import json

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class KbError(Exception):
    """An error the user can fix; printed as one line."""


def _echo_json(kind: str, payload: dict) -> None:
    """Every ``--json`` output: one object, ``kind`` naming what it holds, then its payload
    (README, *JSON output*)."""
    body = {k: v for k, v in payload.items() if k != "kind"}
    click.echo(json.dumps({"kind": kind, **body}, ensure_ascii=False, indent=2, sort_keys=False))


def _run(fn):
    """Call fn() turning the library's errors into ClickException (exit 1)."""
    from ..build import BuildFailed
    from ..search.inputs import CheckError
    from ..sources.files import DataError

    try:
        return fn()
    except (DataError, KbError, CheckError, BuildFailed) as e:
        raise click.ClickException(str(e)) from None


def _corpus(path: str | None):
    from ..corpus.load import load_corpus

    return _run(lambda: load_corpus(path))


corpus_option = click.option(
    "--corpus", "corpus_dir", type=click.Path(file_okay=False), default=None, envvar="KAIGO_KB_CORPUS",
    help="Corpus folder (default: ./corpus, or the one shipped with kaigo-kb).",
)
build_option = click.option(
    "--build-dir", type=click.Path(file_okay=False), default=None, envvar="KAIGO_KB_BUILD",
    help="Build folder holding the index and the site (default: ./build).",
)


def _wareki(iso: str | None) -> str:
    """令和7年4月1日 for 2025-04-01 ("" for none): dates are shown as the sources print them."""
    from ..corpus.dates import wareki

    return wareki(iso) if iso else ""
