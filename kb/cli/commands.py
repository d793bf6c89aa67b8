"""The kaigo-kb command line: thin click commands over the library.

Heavy imports (Sudachi, Whoosh, Jinja) happen inside the commands so that
``--help`` is instant. Library errors become one-line messages and a non-zero exit.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import common
from . import export as export_commands
from . import rules as rule_commands
from .common import CONTEXT, KbGroup, _corpus, _echo_json, _run, build_option, corpus_option, finish


@click.group(cls=KbGroup, context_settings=CONTEXT)
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
    """Run every check the build runs (documents, services, rules, thesaurus); print counts.

    \b
    Example:
      kaigo-kb corpus check
      kaigo-kb corpus check --corpus tests/fixtures/tiny
    """
    from ..locations import default_corpus_dir
    from ..search.inputs import load_inputs

    inputs = _run(lambda: load_inputs(corpus_dir or default_corpus_dir()))
    c = inputs.corpus
    per_volume = {}
    for (sid, vol), (series, _date) in c.volumes().items():
        n = sum(1 for q in c.qas if q.series_id == sid and q.volume == vol)
        per_volume[f"{series} Vol.{vol}"] = n
    other = sum(1 for q in c.qas if q.volume is None)
    counts = {
        "documents": len(c.documents), "clauses": len(c.clauses), "qas": len(c.qas),
        "qas_per_volume": per_volume, "qas_without_volume": other, "rules": len(inputs.rules or []),
    }
    if as_json:
        _echo_json("corpus-check", counts)
        return
    click.echo(f"ok: {counts['documents']} documents, {counts['clauses']} clauses, {counts['qas']} Q&As, "
               f"{counts['rules']} rules")
    for name, n in per_volume.items():
        click.echo(f"  {name}: {n}")
    if other:
        click.echo(f"  (not in a numbered volume): {other}")


# --------------------------------------------------------------------------- show / qa


def _find(c, ident: str):
    from ..corpus.records import clause_dict, qa_dict

    if ident in c.qas_by_id:
        return qa_dict(c.qas_by_id[ident], c)
    if ident in c.clauses_by_id:
        return clause_dict(c.clauses_by_id[ident], c)
    try:
        from ..rules.entries import load_rules
        from ..rules.records import rule_dict
    except ImportError:  # pragma: no cover - rules module always ships
        return None
    rules = _run(lambda: load_rules(c.root))
    for r in rules:
        if r.id == ident:
            return rule_dict(r, c)
    return None


def _print_record(rec: dict) -> None:
    if rec.get("kind") == "rule":
        rule_commands._print_rule(rec)
        return
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
            if not rec["source_doc"]:
                click.echo(f"本文は原典（{rec['volume_title']}）ではなく、次の引用から取り込んだもの:")
            for q in rec["quoted_in"]:
                click.echo(f"引用: {q['title']} ({q['clause_id']})")
        return
    click.echo(f"{rec['id']}  [{rec['clause_kind']}]")
    if rec.get("breadcrumb"):
        click.echo(" > ".join(rec["breadcrumb"]))
    src = rec["source"]
    click.echo(f"出典: {src['title']}" + (f"（{src['date_printed']}）" if src["date_printed"] else ""))
    if src["url"]:
        click.echo(f"URL: {src['url']}")
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
    _echo_json(rec["kind"], rec) if as_json else _print_record(rec)
    finish()


@main.command(context_settings=CONTEXT)
@click.argument("vol")
@click.argument("num", required=False)
@click.option("--series", default="r6-qa", show_default=True, help="Series id (r6-qa = 令和６年度介護報酬改定に関するＱ＆Ａ).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {kind: qas, qas: [...]}.")
@corpus_option
def qa(vol, num, series, as_json, corpus_dir):
    """List the Q&As of a volume, or show one.

    VOL is a volume number (1, Vol.1, ｖｏｌ１); NUM a question number (127, 問127).

    \b
    Example:
      kaigo-kb qa 1
      kaigo-kb qa Vol.1 問127 --json
    """
    from ..corpus.records import qa_dict
    from ..corpus.refs import parse_number

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
        _echo_json("qas", {"series_id": series, "volume": v, "number": n, "qas": [qa_dict(q, c) for q in found]})
    elif n is not None:
        for q in found:
            _print_record(qa_dict(q, c))
    else:
        first = found[0]
        click.echo(first.volume_title + (f"（{first.date_shown}）" if first.date_shown else ""))
        for q in found:
            label = f"問{q.number}" if q.number is not None else "問"
            click.echo(f"  {label:6} {q.question.splitlines()[0][:60]}  [{q.id}]")
    finish()


# --------------------------------------------------------------------------- ingest


def _interactive() -> bool:
    return sys.stdin.isatty()


@main.command(context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--id", "doc_id", help="Entry id (file name), e.g. r6-kaigo-qa-vol17.")
@click.option("--title", help="Title as printed (default: read from the document).")
@click.option("--date", help="Issue date, 2025-10-01 or 令和7年10月1日 (default: read from the document).")
@click.option("--kind", help="告示 / 通知 / 事務連絡 / Q&A / 改定概要 / 説明資料 / 自治体資料 / 団体通知 / 法令.")
@click.option("--issuer", help="Who issued it (default: read from the document, else empty).")
@click.option("--series", help="Q&A series title, e.g. 令和６年度介護報酬改定に関するＱ＆Ａ.")
@click.option("--vol", "volume", type=click.IntRange(min=1), help="Volume number of a Q&A volume.")
@click.option("--url", help="Official URL.")
@click.option("--bulletin", help="介護保険最新情報 issue that sent it, e.g. \"介護保険最新情報 Vol.1400\" "
                                 "(default: read from the cover sheet).")
@click.option("--note", help="Free-text note.")
@click.option("--replace", is_flag=True, help="Overwrite an existing entry with the same id.")
@click.option("--yes", "-y", is_flag=True, help="Never ask: take what the document says, fail if something is missing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@corpus_option
def ingest(file, doc_id, title, date, kind, issuer, series, volume, url, bulletin, note, replace, yes, as_json,
           corpus_dir):
    """Add a document (PDF or UTF-8 text) or MHLW's workbook 介護サービスQ＆A集 (.xlsx) to the
    corpus and report its clauses and Q&As (or rulings).

    Title, date, series and Vol.N are read from the document when not given; what cannot be
    read is asked for (or, with --yes or without a terminal, the command fails naming the
    option). Page numbers, running headers and 介護保険最新情報 cover sheets are removed; the
    cover sheet's number (介護保険最新情報 Vol.N) is kept as the entry's bulletin.
    Nothing is written unless the new entry validates; an existing entry needs --replace.

    \b
    Example:
      kaigo-kb ingest vol17.pdf --yes
      kaigo-kb ingest vol17.pdf --id r6-kaigo-qa-vol17 --kind "Q&A" \\
          --series 令和６年度介護報酬改定に関するＱ＆Ａ --vol 17 --date 2025-10-01
      kaigo-kb ingest jimu.txt --id r7-jimu-2025-10-01 --kind 事務連絡 --json
      kaigo-kb ingest qa-shu.xlsx --yes              # the workbook: every row a ruling
      kaigo-kb ingest qa-shu-new.xlsx --replace      # a new edition: added/removed/changed
    """
    from ..ingest.document import IngestError, check_metadata, missing, propose, propose_id, read_source
    from ..ingest.document import ingest as run_ingest
    from ..locations import default_corpus_dir

    if _is_workbook(file):
        _ingest_workbook(file, doc_id, replace, as_json, corpus_dir or default_corpus_dir())
        return
    try:
        source = read_source(file)
        given = check_metadata({"id": doc_id, "title": title, "date": date, "kind": kind, "issuer": issuer,
                                "series": series, "volume": volume, "url": url, "bulletin": bulletin, "note": note})
        found = propose(source.text, bulletin=source.bulletin)
        proposed = [k for k in found if k not in given and not (k == "date_printed" and "date" in given)]
        meta = {**{k: found[k] for k in proposed}, **given}
        if "id" not in meta and (pid := propose_id(meta)):
            meta["id"] = pid
            proposed.insert(0, "id")
        ask = _interactive() and not yes
        for name in missing(meta):
            if not ask:
                raise click.ClickException(
                    f"missing --{name}: it could not be read from {file}; pass --{name} (or run without --yes to be asked)")
            meta[name] = click.prompt(name, type=click.Choice(_kinds()) if name == "kind" else str)
        meta = check_metadata(meta)
        root = corpus_dir or default_corpus_dir()
        report = run_ingest(source, meta, root, replace=replace, proposed=proposed)
    except IngestError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json("ingest", report.as_dict())
        return
    for line in report.lines():
        click.echo(line)


def _is_workbook(file: str) -> bool:
    """An .xlsx (a zip package); an .xls or anything else that claims to be a workbook is refused."""
    path = Path(file)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return True
    if not path.is_file() or path.suffix.lower() in (".pdf", ".txt"):
        return False
    with open(path, "rb") as f:  # the zip signature: the file's first four bytes, not the whole file
        return f.read(4) == b"PK\x03\x04"


def _ingest_workbook(file, workbook_id, replace, as_json, corpus_dir) -> None:
    from ..ingest.document import IngestError
    from ..ingest.workbook import ingest_workbook

    try:
        report = ingest_workbook(file, corpus_dir, workbook_id=workbook_id, replace_existing=replace)
    except IngestError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json({"kind": "ingest-workbook", **report.as_dict()})
        return
    for line in report.lines():
        click.echo(line)
    click.echo("next: kaigo-kb build, then e.g. kaigo-kb search \"送迎減算\" --standard 報酬")


def _kinds():
    from ..corpus.documents import KINDS

    return KINDS


# --------------------------------------------------------------------------- build / search


@main.command(context_settings=CONTEXT)
@corpus_option
@build_option
@click.option("--no-site", is_flag=True, help="Build the search index only.")
@click.option("--clean", is_flag=True, help="Reuse nothing of the previous build (the result is the same).")
@click.option("--timings", is_flag=True,
              help="Say how long each step took, and each child process the build started (seconds and CPU "
                   "seconds, on stderr).")
def build(corpus_dir, build_dir, no_site, clean, timings):
    """Check the corpus and rules, build the search index and the static site.

    Everything is written to a temporary folder and swapped in at the end, so an
    interrupted build leaves the previous build in place. A second build of the same
    folder while one runs is refused. What did not change since the previous build is
    taken from it (the result is that of a clean build), so adding a volume is quick;
    when nothing changed (corpus, code, packages), the build stops at once.

    \b
    Example:
      kaigo-kb build
      python build.py --build-dir /tmp/kb-build
    """
    from ..build import build as run_build
    from ..locations import default_build_dir, default_corpus_dir

    corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    out = Path(build_dir) if build_dir else default_build_dir()
    bars: dict = {}

    def progress(label, done, total):
        if not sys.stderr.isatty():
            return
        if label not in bars:
            bars[label] = click.progressbar(length=total, label=f"{label:8}", file=sys.stderr)
            bars[label].__enter__()
        bar = bars[label]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    # (a process that ends with the command, kb.cli.common.finish, frees nothing of the build)
    counts = _run(lambda: run_build(corpus_dir, out, site=not no_site, progress=progress, clean=clean,
                                    keep=common.OWN_PROCESS))
    if timings:
        click.echo("  ".join(f"{name} {seconds:.2f} s (CPU {counts['cpu'][name]:.2f})"
                             for name, seconds in counts["steps"].items()), err=True)
        click.echo("in child processes: " + "  ".join(f"{name} {c['seconds']:.2f} s (CPU {c['cpu']:.2f})"
                                                      for name, c in counts["children"].items()), err=True)
    what = (f"{counts['documents']} documents, {counts['clauses']} clauses, {counts['qas']} Q&As, "
            f"{counts['rules']} rules")
    if counts.get("unchanged"):
        click.echo(f"up to date: {out} was built from these same files ({what}); --clean builds it again")
    else:
        click.echo(f"built {out}: {what}")
    if not no_site:
        click.echo(f"site: {out / 'site' / 'index.html'}")
    finish()


def _parse_iso(value: str | None, name: str) -> str | None:
    if not value:
        return None
    from ..corpus.dates import DateError, parse_date

    try:
        return parse_date(value).isoformat()
    except DateError as e:
        raise click.UsageError(f"--{name}: {e}") from None


@main.command(context_settings=CONTEXT)
@click.argument("query", nargs=-1)
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 1000), help="Number of hits.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object {kind: search, query, filters, hits}.")
@click.option("--service", help="Only hits about this service (official name or abbreviation: 特養, GH …).")
@click.option("--vol", type=int, help="Only Q&As of this volume.")
@click.option("--kind", help="Only this kind: Q&A, 加算・基準, a document kind (事務連絡, 自治体資料 …), "
                             "or qa, rule, heading, item, paragraph, table, section.")
@click.option("--since", help="Only documents dated on/after (2024-04-01 or 令和6年4月1日).")
@click.option("--until", help="Only documents dated on/before.")
@click.option("--standard", type=click.Choice(["人員", "設備", "運営", "報酬", "その他"]),
              help="Only workbook rulings of this 基準種別.")
@build_option
def search(query, limit, as_json, service, vol, kind, since, until, standard, build_dir):
    """Search clauses, Q&As and rules.

    Words, abbreviations (特養, ショートステイ, GH), sentences, or a reference
    (Vol.1 問127, ＱＡ ｖｏｌ３ 問３, vol16) which puts that Q&A first.

    \b
    Example:
      kaigo-kb search "ショートステイ 算定"
      kaigo-kb search "Vol.1 問127" --json
      kaigo-kb search 協力医療機関 --service 特養 --since 2024-04-01
      kaigo-kb search 送迎減算 --service デイ --standard 報酬
    """
    from ..locations import default_build_dir
    from ..search.searcher import Filters, IndexMissing, QueryError, Searcher

    text = " ".join(query)
    filters = Filters(service=service, volume=vol, kind=kind, standard=standard,
                      since=_parse_iso(since, "since"), until=_parse_iso(until, "until"))
    out = Path(build_dir) if build_dir else default_build_dir()
    try:
        s = Searcher(out / "index")
        result = s.search(text, limit=limit, filters=filters)
    except IndexMissing as e:
        raise click.ClickException(str(e)) from None
    except QueryError as e:
        raise click.UsageError(str(e)) from None
    if as_json:
        # one line (score.py and scripts read it whole); the same convention as _echo_json
        used = {k: v for k, v in filters.__dict__.items() if v not in (None, "")}
        click.echo(json.dumps({"kind": "search", "query": result.query, "filters": used, "reading": result.reading(),
                               "count": len(result.hits), "hits": [h.as_json() for h in result.hits]},
                              ensure_ascii=False))
    else:
        _print_hits(result, filters)
    finish()  # (a lookup's process: the index it read is not taken apart object by object, 10-20 ms)


def _no_hits(result, filters=None) -> str:
    """Why nothing was found, and what to try: the reference's volume, words nothing contains,
    the filters that narrowed it."""
    if result.reference_note:
        return f"no hits: {result.reference_note}"
    if result.unmatched:
        said = "、".join(f"「{w}」" for w in result.unmatched)
        near = f"; close words in the corpus: {'、'.join(result.suggestions)}" if result.suggestions else ""
        return f"no hits: {said} is in no clause, Q&A or rule{near}"
    option = {"volume": "vol"}  # Filters field -> option name
    used = [f"--{option.get(k, k)} {v}" for k, v in sorted((filters.__dict__ if filters else {}).items())
            if v not in (None, "")]
    return ("no hits" + (f" with {' '.join(used)}; try without them, or" if used else ";")
            + " try fewer or other words (abbreviations like 特養 work too); list a volume with: kaigo-kb qa 1")


def _print_hits(result, filters=None) -> None:
    """Each hit as the site shows it: badge, reference and date as printed, a headline,
    the answer first; the Q&A a typed reference names stands apart from the rest."""
    from ..search.present import shown_text
    from ..search.searcher import highlight

    line = result.reading_line()
    if line:
        click.echo(click.style(f"読み取り: {line}", dim=sys.stdout.isatty()))
    if not result.hits:
        click.echo(_no_hits(result, filters))
        return
    color = sys.stdout.isatty()

    def marked(snippet: str, spans) -> str:
        if not color:
            return snippet
        out, pos = [], 0
        for a, b in spans:
            out += [snippet[pos:a], click.style(snippet[a:b], fg="yellow", bold=True)]
            pos = b
        return "".join(out + [snippet[pos:]])

    for rank, h in enumerate(result.hits, 1):
        d = h.data
        if rank > 1 and result.hits[rank - 2].exact and not h.exact:
            click.echo("\n    ── 関連する結果 ──")
        meta = "  ".join(x for x in (d.get("reference"), d.get("date_printed"), d.get("topic")) if x)
        click.echo(click.style(f"{rank:2}. [{d.get('category') or h.kind}]", bold=True) + (f" {meta}" if meta else "")
                   + (click.style("  ◀ 該当", bold=True) if h.exact else ""))
        click.echo("    " + click.style(d.get("headline") or d["title"], bold=color))
        if h.kind == "qa" and "answer" in d:
            click.echo("    答 " + marked(*highlight(shown_text(h.kind, d), result.needles)))
            click.echo("    " + d["citation"])
        else:
            snippet, spans = highlight(shown_text(h.kind, d), result.needles)
            if snippet != d.get("headline"):
                click.echo("    " + marked(snippet, spans))
            if h.kind != "rule":
                click.echo("    " + " > ".join([d.get("source", {}).get("title") or d["title"], *d.get("breadcrumb", [])]))
        if d.get("status"):
            click.echo(f"    【{d['status']}】 a newer ruling {'deleted' if d['status'] == '削除' else 'corrected'} this one"
                       + (f": {', '.join(d['amended_by'])}" if d.get("amended_by") else ""))
        for e in d.get("earlier", []):
            click.echo(f"    以前の回答: {e['citation']}  [{e['id']}]")
        click.echo(f"    id: {h.id}")


main.add_command(rule_commands.rule_cmd)
main.add_command(rule_commands.rules_cmd)
main.add_command(export_commands.export_cmd)
