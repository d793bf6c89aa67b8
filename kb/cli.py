"""The kaigo-kb command line: thin click commands over the library.

Heavy imports (Sudachi, Whoosh, Jinja) happen inside the commands so that
``--help`` is instant. Library errors become one-line messages and a non-zero exit.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class KbError(Exception):
    """An error the user can fix; printed as one line."""


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def _run(fn):
    """Call fn() turning the library's errors into ClickException (exit 1)."""
    from .schema import DataError

    try:
        return fn()
    except (DataError, KbError) as e:
        raise click.ClickException(str(e)) from None


def _corpus(path: str | None):
    from .corpus import load_corpus

    return _run(lambda: load_corpus(path))


corpus_option = click.option(
    "--corpus", "corpus_dir", type=click.Path(file_okay=False), default=None, envvar="KAIGO_KB_CORPUS",
    help="Corpus folder (default: ./corpus, or the one shipped with kaigo-kb).",
)
build_option = click.option(
    "--build-dir", type=click.Path(file_okay=False), default=None, envvar="KAIGO_KB_BUILD",
    help="Build folder holding the index and the site (default: ./build).",
)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="kaigo-kb")
def main():
    """kaigo-kb: offline knowledge base of 介護保険・介護報酬 rules and MHLW Q&A rulings.

    \b
    Example:
      kaigo-kb build
      kaigo-kb search "ショートステイ 算定"
      kaigo-kb qa 1 127
    """


# --------------------------------------------------------------------------- corpus


@main.group(context_settings=CONTEXT)
def corpus():
    """Check the corpus (documents, clauses, Q&As).

    \b
    Example:
      kaigo-kb corpus check
    """


@corpus.command("check", context_settings=CONTEXT)
@corpus_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def corpus_check(corpus_dir, as_json):
    """Validate every document's metadata and text; print counts.

    \b
    Example:
      kaigo-kb corpus check
      kaigo-kb corpus check --corpus tests/fixtures/tiny
    """
    c = _corpus(corpus_dir)
    per_volume = {}
    for (sid, vol), (series, date) in c.volumes().items():
        n = sum(1 for q in c.qas if q.series_id == sid and q.volume == vol)
        per_volume[f"{series} Vol.{vol}"] = n
    other = sum(1 for q in c.qas if q.volume is None)
    counts = {
        "documents": len(c.documents), "clauses": len(c.clauses), "qas": len(c.qas),
        "qas_per_volume": per_volume, "qas_without_volume": other,
    }
    if as_json:
        _echo_json(counts)
        return
    click.echo(f"ok: {counts['documents']} documents, {counts['clauses']} clauses, {counts['qas']} Q&As")
    for name, n in per_volume.items():
        click.echo(f"  {name}: {n}")
    if other:
        click.echo(f"  (not in a numbered volume): {other}")


# --------------------------------------------------------------------------- show / qa


def _find(c, ident: str):
    from .records import clause_dict, qa_dict

    if ident in c.qas_by_id:
        return qa_dict(c.qas_by_id[ident], c)
    if ident in c.clauses_by_id:
        return clause_dict(c.clauses_by_id[ident], c)
    try:
        from .rules import load_rules, rule_dict
    except ImportError:  # pragma: no cover - rules module always ships
        return None
    rules = _run(lambda: load_rules(c.root))
    for r in rules:
        if r.id == ident:
            return rule_dict(r, c)
    return None


def _print_record(rec: dict) -> None:
    if rec.get("kind") == "qa":
        click.echo(rec["citation"])
        crumbs = " > ".join(x for x in (rec["service"], rec["topic"]) if x)
        if crumbs:
            click.echo(crumbs)
        click.echo("")
        click.echo("問 " + rec["question"])
        click.echo("")
        click.echo("答 " + rec["answer"])
        if rec["quoted_in"]:
            click.echo("")
            for q in rec["quoted_in"]:
                click.echo(f"引用: {q['title']} ({q['clause_id']})")
        return
    click.echo(f"{rec['id']}  [{rec['kind']}]")
    if rec.get("breadcrumb"):
        click.echo(" > ".join(rec["breadcrumb"]))
    click.echo(f"出典: {rec['source']['title']}" + (f" ({rec['source']['date']})" if rec["source"]["date"] else ""))
    click.echo("")
    click.echo(rec.get("text", ""))


@main.command(context_settings=CONTEXT)
@click.argument("ident", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@corpus_option
def show(ident, as_json, corpus_dir):
    """Print one clause, Q&A or rule entry by its id.

    \b
    Example:
      kaigo-kb show r6-qa-vol1-q127
      kaigo-kb show "guide-kyoryoku-iryokikan-joho-teikyo:p8.ref1.h1.c3" --json
    """
    c = _corpus(corpus_dir)
    rec = _find(c, ident)
    if rec is None:
        raise click.ClickException(f"no clause, Q&A or rule with id {ident!r}; find ids with: kaigo-kb search QUERY")
    _echo_json(rec) if as_json else _print_record(rec)


@main.command(context_settings=CONTEXT)
@click.argument("vol")
@click.argument("num", required=False)
@click.option("--series", default="r6-qa", show_default=True, help="Series id (r6-qa = 令和６年度介護報酬改定に関するＱ＆Ａ).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of Q&A objects.")
@corpus_option
def qa(vol, num, series, as_json, corpus_dir):
    """List the Q&As of a volume, or show one.

    VOL is a volume number (1, Vol.1, ｖｏｌ１); NUM a question number (127, 問127).

    \b
    Example:
      kaigo-kb qa 1
      kaigo-kb qa Vol.1 問127 --json
    """
    from .records import qa_dict
    from .refs import parse_number

    v, n = parse_number(vol), parse_number(num) if num else None
    if v is None:
        raise click.UsageError(f"VOL must be a volume number like 1 or Vol.1, not {vol!r}")
    if num and n is None:
        raise click.UsageError(f"NUM must be a question number like 127 or 問127, not {num!r}")
    c = _corpus(corpus_dir)
    found = [q for q in c.qas if q.series_id == series and q.volume == v and (n is None or q.number == n)]
    if not found:
        known = ", ".join(f"Vol.{vv}" for (sid, vv) in c.volumes() if sid == series) or "none"
        what = f"Vol.{v} 問{n}" if n is not None else f"Vol.{v}"
        raise click.ClickException(f"{what} is not in the corpus (volumes known: {known}); add it with kaigo-kb ingest")
    if as_json:
        _echo_json([qa_dict(q, c) for q in found])
        return
    if n is not None:
        for q in found:
            _print_record(qa_dict(q, c))
        return
    first = found[0]
    click.echo(f"{first.series}（Vol.{v}）" + (f"（{qa_dict(first, c)['date_wareki']}）" if first.date else ""))
    for q in found:
        label = f"問{q.number}" if q.number is not None else "問"
        click.echo(f"  {label:6} {q.question.splitlines()[0][:60]}  [{q.id}]")
