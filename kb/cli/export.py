"""kaigo-kb export: one volume's or one service's rulings (and rules) as CSV or JSON, the
files the site offers for download (added to the ``main`` group by :mod:`kb.cli.commands`)."""
from __future__ import annotations

from pathlib import Path

import click

from .common import CONTEXT, _run, corpus_option


@click.command("export", context_settings=CONTEXT)
@click.option("--vol", type=click.IntRange(min=1), help="A Q&A volume: its rulings.")
@click.option("--series", default="r6-qa", show_default=True, help="Series id of --vol (r6-qa = 令和６年度…Ｑ＆Ａ).")
@click.option("--service", metavar="S", help="A service (特養, GH, デイ …): its rulings and the 加算・基準 for it.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (a CSV gets a byte order mark, so Excel reads it as UTF-8); default: stdout.")
@corpus_option
def export_cmd(vol, series, service, fmt, output, corpus_dir):
    """Export a volume's or a service's Q&As (and its rules) as CSV or JSON.

    One row per Q&A: citation as printed, volume, number, date, headings, question,
    answer; for a service also one row per 加算・基準 with its amounts and periods.
    JSON follows the --json convention ({"kind": "export", ...}).

    \b
    Example:
      kaigo-kb export --vol 1 -o vol1.csv
      kaigo-kb export --service 特養 --format json
      kaigo-kb export --service GH -o gh.csv
    """
    if (vol is None) == (service is None):
        raise click.UsageError("give one of --vol N or --service S")
    from ..search.inputs import load_inputs
    from ..search.units import derive_units
    from ..site.export import json_text, service_export, to_csv, volume_export
    from ..site.pages import SiteData
    from ..locations import default_corpus_dir

    inputs = _run(lambda: load_inputs(corpus_dir or default_corpus_dir()))
    rulings = derive_units(inputs.corpus, inputs.services).facets(inputs.corpus, inputs.rules, inputs.services)
    data = SiteData.collect(inputs.corpus, rulings.services, rules=inputs.rules, services=inputs.services)
    if vol is not None:
        e = volume_export(data, series, vol)
        if e is None:
            known = ", ".join(f"Vol.{v}" for (sid, v) in inputs.corpus.volumes() if sid == series) or "none"
            raise click.ClickException(f"Vol.{vol} is not in the corpus (volumes known: {known})")
    else:
        s = inputs.services.get(service) if inputs.services is not None else None
        if s is None:
            raise click.BadParameter(f"unknown service {service!r}; use an official name or what people type "
                                     "(特養, GH, ショート …)", param_hint="--service")
        e = service_export(data, s)
    text = to_csv(e, data) if fmt == "csv" else json_text(e, data)
    if output:
        Path(output).write_bytes(("\ufeff" if fmt == "csv" else "").encode("utf-8") + text.encode("utf-8"))
        click.echo(f"wrote {output}: {len(e.qas)} Q&As" + (f", {len(e.rules)} rules" if e.rules else ""), err=True)
    else:
        click.echo(text, nl=False)
