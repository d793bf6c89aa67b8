"""kaigo-kb rule / rules: the 加算・基準 entries on the command line (added to the
``main`` group by :mod:`kb.cli.commands`)."""
from __future__ import annotations

import click

from .common import CONTEXT, _corpus, _echo_json, _run, _wareki, corpus_option


def _rules_env(corpus_dir):
    """(corpus, services, rules) or a one-line error naming the file and field."""
    from ..rules.entries import load_rules
    from ..rules.services import load_services

    c = _corpus(corpus_dir)
    return c, _run(lambda: load_services(c.root)), _run(lambda: load_rules(c.root))


def _on_date(value: str | None):
    import datetime as dt

    from ..corpus.dates import DateError, parse_date

    if not value:
        return dt.date.today()
    try:
        return parse_date(value)
    except DateError as e:
        raise click.BadParameter(str(e), param_hint="--on") from None


def _service(services, value: str | None) -> str | None:
    if not value:
        return None
    official = services.resolve(value)
    if official is None:
        raise click.BadParameter(
            f"unknown service {value!r}; use an official name or what people type (特養, GH, ショート …)",
            param_hint="--service")
    return official


def _amount_line(a: dict) -> str:
    cond = f"（{a['condition']}）" if a.get("condition") else ""
    per = f"/{a['per']}" if a["per"] else ""
    period = f"  {_wareki(a['effective_from'])}〜{_wareki(a['effective_until'])}" if a["effective_from"] or a["effective_until"] else ""
    return f"{a['level']}{cond} {a['value']}{a['unit']}{per}{period}  [{a['source']}]"


def _print_rule(rec: dict, c=None) -> None:
    click.echo(f"{rec['name']}  [{rec['rule_kind']}]  id: {rec['id']}")
    if rec["aliases"]:
        click.echo("別名: " + "、".join(rec["aliases"]))
    click.echo("対象: " + "、".join(rec["services"]))
    who = rec["service"] or "全サービス"
    click.echo(f"\n{_wareki(rec['on'])}時点の単位数・点数 ({who}):")
    for a in rec["in_force"]:
        click.echo("  " + _amount_line(a))
    if not rec["in_force"]:
        click.echo("  (なし: 資料に単位数の記載がないか、この日・このサービスには該当しない)")
    ob = rec["obligation"]
    if ob:
        what = {"duty": "義務", "effort": "努力義務"}[ob["kind"]]
        when = f" {_wareki(ob['effective_from'])}から" if ob["effective_from"] else ""
        trans = f"（経過措置 {_wareki(ob['transition_until'])}まで）" if ob["transition_until"] else ""
        click.echo(f"\n{what}{when}{trans}  [{ob['source']}]")
    if rec["requirements"]:
        click.echo("\n要件:")
        for r in rec["requirements"]:
            click.echo(f"  - {r['text']}  [{r['source']}]")
    if rec["related_qas"]:
        click.echo("\n関連Q&A:")
        for q in rec["related_qas"]:
            cite = c.qas_by_id[q].citation if c is not None and q in c.qas_by_id else q
            click.echo(f"  {cite}  [{q}]")
    for n in rec["notes"]:
        click.echo(f"注: {n}")


@click.command("rule", context_settings=CONTEXT)
@click.argument("name")
@click.option("--on", "on", metavar="DATE", help="Date to answer for (2025-04-01 or 令和7年4月1日); default today.")
@click.option("--service", metavar="S", help="Service (official name or abbreviation: 特養, GH, 老健 …).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (in_force, obligation …).")
@corpus_option
def rule_cmd(name, on, service, as_json, corpus_dir):
    """Show a rule entry (加算・基準): amounts in force on a date, requirements, Q&As.

    NAME is the rule's name or an alias (協力医療機関連携加算, リハマネ加算, 協力医療機関).

    \b
    Example:
      kaigo-kb rule 協力医療機関連携加算 --service 特養 --on 2025-04-01
      kaigo-kb rule 協力医療機関 --service 老健 --json
    """
    from ..rules.entries import applies_to, rule_candidates
    from ..rules.records import rule_dict

    c, services, rules = _rules_env(corpus_dir)
    day, svc = _on_date(on), _service(services, service)
    found = rule_candidates(rules, name, services, service=svc)
    if not found:
        raise click.ClickException(f"no rule named {name!r}; list the rules with: kaigo-kb rules")
    if len(found) > 1:
        _print_candidates(name, found, as_json)
        raise SystemExit(1)
    r = found[0]
    if svc and not applies_to(r, svc, services):
        raise click.ClickException(
            f"{r.name} does not apply to {svc}: it is for {'、'.join(r.services)}. "
            f"The rules for {svc}: kaigo-kb rules --service {service}")
    rec = rule_dict(r, c, on=day, service=svc, services=services, all_rules=rules)
    _echo_json("rule", rec) if as_json else _print_rule(rec, c)


def _print_candidates(name: str, found, as_json: bool) -> None:
    """More than one rule matches: list them (exit status 1: nothing was answered)."""
    if as_json:
        _echo_json("rule-candidates", {"query": name, "rules": [
            {"id": r.id, "name": r.name, "rule_kind": r.kind, "aliases": list(r.aliases)} for r in found]})
        return
    click.echo(f"{name!r} matches {len(found)} rules; give one of these names (or its id):")
    for r in found:
        click.echo(f"  {r.name}  [{r.kind}]  id: {r.id}")


@click.group("rules", invoke_without_command=True, context_settings=CONTEXT)
@click.option("--service", metavar="S", help="Only rules that apply to this service (groups included).")
@click.option("--on", "on", metavar="DATE", help="Date for the amounts shown; default today.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@corpus_option
@click.pass_context
def rules_cmd(ctx, service, on, as_json, corpus_dir):
    """List the rule entries (加算・基準), or check them (rules check).

    With --service, lists every rule that applies to the service, including rules
    stated for a group it belongs to (特養 -> 介護保険施設等, 高齢者施設等).

    \b
    Example:
      kaigo-kb rules --service 特養
      kaigo-kb rules --service GH --on 2025-04-01 --json
      kaigo-kb rules check
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..rules.entries import applies_to, in_force_dicts, obligation_for

    c, services, rules = _rules_env(corpus_dir)
    day, svc = _on_date(on), _service(services, service)
    out = []
    for r in rules:
        if svc and not applies_to(r, svc, services):
            continue
        out.append({"id": r.id, "name": r.name, "kind": r.kind, "services": list(r.services),
                    "in_force": in_force_dicts(r, day, svc, services),
                    "obligation": obligation_for(r, svc, day, services) if svc else None})
    if as_json:
        _echo_json("rules", {"service": svc, "on": day.isoformat(), "groups": services.groups_of(svc) if svc else [],
                    "rules": out})
        return
    if svc:
        groups = services.groups_of(svc)
        click.echo(f"{svc}" + (f" (所属: {'、'.join(groups)})" if groups else "") + f" {_wareki(day.isoformat())}時点")
    for r in out:
        amounts = "、".join(_amount_line(a).split("  [")[0] for a in r["in_force"])
        ob = r["obligation"]
        extra = f" 【{ {'duty': '義務', 'effort': '努力義務'}[ob['kind']] }】" if ob else ""
        click.echo(f"  {r['name']} [{r['kind']}]{extra}" + (f": {amounts}" if amounts else "") + f"  ({r['id']})")
    click.echo(f"{len(out)} rules")


@rules_cmd.command("check", context_settings=CONTEXT)
@corpus_option
def rules_check(corpus_dir):
    """Check every rule entry against the corpus; exit 1 with file and field on a problem.

    Checks the schema, that every cited clause or Q&A id exists, that every amount's
    number is printed in its cited text, that periods do not overlap, and that
    every service name is in services.toml.

    \b
    Example:
      kaigo-kb rules check
      kaigo-kb rules check --corpus /path/to/corpus
    """
    from ..rules.entries import check_rules

    c, services, rules = _rules_env(corpus_dir)
    errors = check_rules(c, rules, services)
    for e in errors:
        click.echo(e, err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) in the rule entries")
    n = sum(len(r.amounts) for r in rules)
    click.echo(f"ok: {len(rules)} rules, {n} amounts, every cited id found and every amount printed in its source")
