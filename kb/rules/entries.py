"""Rule entries (加算・基準): structured, dated facts, each citing a clause or Q&A.

One TOML file per rule under ``corpus/rules/``. :func:`load_rules` validates the
schema; :func:`check_rules` checks the facts against the corpus (cited ids exist,
every amount's number is printed in its cited text, periods do not overlap, service
names come from ``corpus/services.toml``). :func:`in_force` and :func:`obligation_for`
answer "as of a date, for a service".
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..corpus.dates import wareki
from ..corpus.normalize import search_text
from ..corpus.schema import ID_PATTERN, Field, as_iso, int_range, iso_date, validate
from ..sources.files import DataError, load_toml
from .services import Services, key, str_list

RULES_DIR = "rules"
KINDS = ("介護報酬加算", "診療報酬加算", "基準", "努力義務", "算定要件")
UNITS = ("単位", "点")
PERS = ("月", "回", "日", "入院初日")
OBLIGATION_KINDS = ("duty", "effort")


_DATE = dict(type=(str, dt.date), required=False, default="", check=iso_date)
AMOUNT_SCHEMA: dict[str, Field] = {
    "level": Field(str, help="区分 as printed: (1), (Ⅰ), イ, 1 …"),
    "condition": Field(str, required=False, default="", help="what the level means, e.g. 3要件を満たす場合"),
    "value": Field(int, check=int_range(1, 999_999), help="the number as printed"),
    "unit": Field(str, choices=UNITS),
    "per": Field(str, choices=PERS, required=False, default="",
                 help="月/回/日/入院初日; leave empty when the source prints none"),
    "effective_from": Field(**_DATE, help="ISO date; empty when the sources do not say"),
    "effective_until": Field(**_DATE, help="ISO date (last day in force); empty when open"),
    "services": Field(list, required=False, default=[], check=str_list, help="official names; default: the rule's"),
    "source": Field(str, help="clause id or Q&A id the number is printed in"),
    "note": Field(str, required=False, default=""),
}
REQUIREMENT_SCHEMA: dict[str, Field] = {
    "text": Field(str, help="the requirement, in the source's words"),
    "source": Field(str, help="clause id or Q&A id"),
    "services": Field(list, required=False, default=[], check=str_list),
}
OBLIGATION_SCHEMA: dict[str, Field] = {
    "kind": Field(str, choices=OBLIGATION_KINDS, help="duty (義務) or effort (努力義務)"),
    "services": Field(list, check=str_list, help="official names of the services bound"),
    "effective_from": Field(**_DATE),
    "transition_until": Field(**_DATE, help="last day of the 経過措置, if any"),
    "source": Field(str, help="clause id or Q&A id"),
    "note": Field(str, required=False, default=""),
}
RULE_SCHEMA: dict[str, Field] = {
    "id": Field(str, pattern=ID_PATTERN, help="ASCII slug equal to the file name"),
    "name": Field(str, help="the name as printed, e.g. 協力医療機関連携加算"),
    "reading": Field(str, required=False, default="", help="よみ in hiragana"),
    "aliases": Field(list, required=False, default=[], check=str_list),
    "kind": Field(str, choices=KINDS),
    "services": Field(list, check=str_list, help="official names from corpus/services.toml"),
    "amounts": Field(list, required=False, default=[]),
    "requirements": Field(list, required=False, default=[]),
    "obligations": Field(list, required=False, default=[]),
    "notes": Field(list, required=False, default=[], check=str_list),
    "related": Field(list, required=False, default=[], check=str_list, help="Q&A ids"),
}


@dataclass(frozen=True)
class Amount:
    level: str
    value: int
    unit: str
    per: str
    source: str
    condition: str = ""
    effective_from: str = ""
    effective_until: str = ""
    services: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Requirement:
    text: str
    source: str
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Obligation:
    kind: str
    services: tuple[str, ...]
    source: str
    effective_from: str = ""
    transition_until: str = ""
    note: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str
    services: tuple[str, ...]
    reading: str = ""
    aliases: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    notes: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    path: str = ""

    def amount_services(self, a: Amount) -> tuple[str, ...]:
        return a.services or self.services


# --------------------------------------------------------------------------- loading


def _items(raw: list, schema: dict[str, Field], path: Path, name: str) -> list[dict]:
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise DataError(path, f"{name}[{i}]", "expected a table ([[" + name + "]])")
        out.append(validate(item, schema, path, prefix=f"{name}[{i}]."))
    return out


def load_rule(path: Path) -> Rule:
    data = validate(load_toml(path), RULE_SCHEMA, path)
    if data["id"] != path.stem:
        raise DataError(path, "id", f"id {data['id']!r} must equal the file name {path.stem!r}")
    amounts = tuple(
        Amount(**{**a, "effective_from": as_iso(a["effective_from"]), "effective_until": as_iso(a["effective_until"]),
                  "services": tuple(a["services"])})
        for a in _items(data["amounts"], AMOUNT_SCHEMA, path, "amounts"))
    reqs = tuple(Requirement(text=r["text"], source=r["source"], services=tuple(r["services"]))
                 for r in _items(data["requirements"], REQUIREMENT_SCHEMA, path, "requirements"))
    obls = tuple(
        Obligation(**{**o, "effective_from": as_iso(o["effective_from"]),
                      "transition_until": as_iso(o["transition_until"]), "services": tuple(o["services"])})
        for o in _items(data["obligations"], OBLIGATION_SCHEMA, path, "obligations"))
    return Rule(id=data["id"], name=data["name"], kind=data["kind"], services=tuple(data["services"]),
                reading=data["reading"], aliases=tuple(data["aliases"]), amounts=amounts, requirements=reqs,
                obligations=obls, notes=tuple(data["notes"]), related=tuple(data["related"]), path=str(path))


def load_rules(corpus_root: Path | str) -> list[Rule]:
    """Every rule under ``corpus_root/rules``, sorted by id (none when the folder is absent)."""
    folder = Path(corpus_root) / RULES_DIR
    rules = [load_rule(p) for p in sorted(folder.glob("*.toml"))] if folder.is_dir() else []
    return sorted(rules, key=lambda r: r.id)


# --------------------------------------------------------------------------- checks


def _cited_text(corpus, ident: str) -> str | None:
    if ident in corpus.clauses_by_id:
        return corpus.clauses_by_id[ident].search
    if ident in corpus.qas_by_id:
        return corpus.qas_by_id[ident].search
    return None


def number_in(text: str, value: int) -> bool:
    """``value`` printed as a whole number in ``text`` (50 does not match 500 or 150)."""
    return re.search(rf"(?<![0-9.,]){value}(?![0-9])", search_text(text)) is not None


def _services_in_list(rule: Rule, services: Services) -> list[tuple[str, str]]:
    fields = [(f"services[{i}]", s) for i, s in enumerate(rule.services)]
    for n, group in (("amounts", rule.amounts), ("requirements", rule.requirements), ("obligations", rule.obligations)):
        for i, item in enumerate(group):
            fields += [(f"{n}[{i}].services[{j}]", s) for j, s in enumerate(item.services)]
    return fields


def check_rule(corpus, rule: Rule, services: Services) -> list[str]:
    errors: list[str] = []

    def err(fname: str, msg: str) -> None:
        errors.append(str(DataError(rule.path or rule.id, fname, msg)))

    for fname, name in _services_in_list(rule, services):
        official = services.resolve(name)
        if official is None:
            err(fname, f"{name!r} is not in services.toml")
        elif official != name:
            err(fname, f"{name!r} is an alias; write the official name {official!r}")
    cited = [(f"amounts[{i}].source", a.source) for i, a in enumerate(rule.amounts)]
    cited += [(f"requirements[{i}].source", r.source) for i, r in enumerate(rule.requirements)]
    cited += [(f"obligations[{i}].source", o.source) for i, o in enumerate(rule.obligations)]
    cited += [(f"related[{i}]", q) for i, q in enumerate(rule.related)]
    for fname, ident in cited:
        if _cited_text(corpus, ident) is None:
            err(fname, f"{ident!r} is not a clause or Q&A id in the corpus" + _where_now(corpus, rule, fname, ident))
    for i, a in enumerate(rule.amounts):
        text = _cited_text(corpus, a.source)
        if text is not None and not number_in(text, a.value):
            err(f"amounts[{i}].value", f"{a.value} not found in cited clause {a.source}")
        if a.effective_from and a.effective_until and a.effective_from > a.effective_until:
            err(f"amounts[{i}].effective_until", f"{a.effective_until} is before effective_from {a.effective_from}")
    for i, o in enumerate(rule.obligations):
        if o.effective_from and o.transition_until and o.transition_until >= o.effective_from:
            err(f"obligations[{i}].transition_until", "the transition must end before effective_from")
    errors += _overlaps(rule)
    for fname, text in _shown_texts(rule):
        if m := _NOT_FOR_READERS.search(text):
            err(fname, f"{m.group(0)!r}: this text is shown to users; write dates in 和暦 (令和6年4月1日) "
                       "and say 開始日/終了日/経過措置 instead of field names")
    return errors


_NOT_FOR_READERS = re.compile(r"\d{4}-\d{2}-\d{2}|\b(?:effective_from|effective_until|transition_until)\b")


def _shown_texts(rule: Rule) -> list[tuple[str, str]]:
    out = [(f"notes[{i}]", n) for i, n in enumerate(rule.notes)]
    out += [(f"requirements[{i}].text", r.text) for i, r in enumerate(rule.requirements)]
    for name, items in (("amounts", rule.amounts), ("obligations", rule.obligations)):
        out += [(f"{name}[{i}].note", x.note) for i, x in enumerate(items) if x.note]
    return out


def _where_now(corpus, rule: Rule, fname: str, ident: str) -> str:
    """A hint for a stale clause id (segmentation changed): where the amount is printed now."""
    m = re.fullmatch(r"amounts\[(\d+)\]\.source", fname)
    if not m:
        return " (find ids with: kaigo-kb search)"
    a = rule.amounts[int(m[1])]
    doc = ident.split(":", 1)[0]
    printed = f"{a.value}{a.unit}"
    hits = [c.id for c in corpus.clauses if c.doc_id == doc and printed in c.search and number_in(c.search, a.value)]
    return f"; {printed} is printed in: {', '.join(hits[:3])}" if hits else " (find ids with: kaigo-kb search)"


def _overlaps(rule: Rule) -> list[str]:
    """Two amounts for one level, condition, unit and per and one service may not share a day."""
    errors = []
    for i, a in enumerate(rule.amounts):
        for j in range(i):
            b = rule.amounts[j]
            if (a.level, a.condition, a.unit, a.per) != (b.level, b.condition, b.unit, b.per):
                continue
            shared = set(rule.amount_services(a)) & set(rule.amount_services(b))
            if not shared:
                continue
            if (a.effective_from or "0000") <= (b.effective_until or "9999") and \
                    (b.effective_from or "0000") <= (a.effective_until or "9999"):
                errors.append(str(DataError(
                    rule.path or rule.id, f"amounts[{i}].effective_from",
                    f"period overlaps amounts[{j}] for level {a.level!r} and {sorted(shared)[0]}")))
    return errors


def check_rules(corpus, rules: list[Rule], services: Services) -> list[str]:
    """Every problem found, one message each (file and field first); empty when all is well."""
    errors: list[str] = []
    seen: dict[str, str] = {}
    for rule in rules:
        for term in (rule.name, *rule.aliases):
            k = key(term)
            if k in seen and seen[k] != rule.id:
                errors.append(str(DataError(rule.path, "aliases", f"{term!r} also names rule {seen[k]!r}")))
            seen.setdefault(k, rule.id)
        errors += check_rule(corpus, rule, services)
    return errors


# --------------------------------------------------------------------------- as of a date


def rule_candidates(rules: list[Rule], name_or_alias: str, services: Services | None = None,
                    service: str | None = None) -> list[Rule]:
    """The rules a name means: the one whose name or alias it is, else every rule whose
    name or alias contains it (narrowed to rules for ``service`` when that leaves some)."""
    k = key(name_or_alias)
    if not k:
        return []
    for r in rules:
        if r.id == name_or_alias.strip() or k in (key(t) for t in (r.name, *r.aliases)):
            return [r]
    hits = [r for r in rules if any(k in key(t) for t in (r.name, *r.aliases))]
    if len(hits) > 1 and services is not None and service:
        hits = [r for r in hits if any(services.covers(s, service) for s in r.services)] or hits
    return hits


def find_rule(rules: list[Rule], name_or_alias: str, services: Services | None = None,
              service: str | None = None) -> Rule | None:
    """Exact name or alias first, then a unique substring match (preferring rules for ``service``)."""
    hits = rule_candidates(rules, name_or_alias, services, service)
    return hits[0] if len(hits) == 1 else None


def _covers(names, service: str | None, services: Services) -> bool:
    return service is None or any(services.covers(s, service) for s in names)


def in_force(rule: Rule, on: dt.date, service: str | None, services: Services) -> list[Amount]:
    """The amounts in force on ``on`` for ``service`` (all services when None).

    An empty effective_from means the sources do not say when it started: it counts
    as in force until its effective_until."""
    day = on.isoformat()
    return [a for a in rule.amounts
            if (not a.effective_from or a.effective_from <= day)
            and (not a.effective_until or day <= a.effective_until)
            and _covers(rule.amount_services(a), service, services)]


def obligation_for(rule: Rule, service: str, on: dt.date, services: Services) -> dict | None:
    """The obligation binding ``service``, with its status on ``on`` (in_force / transition / not_yet)."""
    for o in rule.obligations:
        if not _covers(o.services, service, services):
            continue
        day = on.isoformat()
        if not o.effective_from or o.effective_from <= day:
            status = "in_force"
        elif o.transition_until and day <= o.transition_until:
            status = "transition"
        else:
            status = "not_yet"
        return {"kind": o.kind, "effective_from": o.effective_from, "transition_until": o.transition_until,
                "source": o.source, "services": list(o.services), "note": o.note, "status": status}
    return None


def applies_to(rule: Rule, service: str, services: Services) -> bool:
    """The rule (or one of its amounts, requirements or obligations) names ``service`` or a group of it."""
    names = list(rule.services)
    for group in (rule.amounts, rule.requirements, rule.obligations):
        for item in group:
            names += item.services
    return _covers(names, service, services)


# --------------------------------------------------------------------------- output


def amount_dict(rule: Rule, a: Amount) -> dict:
    return {"level": a.level, "condition": a.condition, "value": a.value, "unit": a.unit, "per": a.per,
            "effective_from": a.effective_from, "effective_until": a.effective_until,
            "services": list(rule.amount_services(a)), "source": a.source, "note": a.note}


def period_text(start: str, until: str = "") -> str:
    """（令和6年4月1日〜令和7年3月31日） for an ISO period; "" when the sources give none."""
    if not start and not until:
        return ""
    return f"（{wareki(start) if start else ''}〜{wareki(until) if until else ''}）"


def amount_text(a: Amount) -> str:
    cond = f"（{a.condition}）" if a.condition else ""
    per = f"/{a.per}" if a.per else ""
    return f"{a.level}{cond} {a.value}{a.unit}{per}{period_text(a.effective_from, a.effective_until)}"


def in_force_dicts(rule: Rule, on: dt.date, service: str | None, services: Services) -> list[dict]:
    """:func:`in_force` as the JSON objects of ``kaigo-kb rule --json`` (``in_force``)."""
    keep = ("level", "condition", "value", "unit", "per", "effective_from", "effective_until", "source")
    return [{k: amount_dict(rule, a)[k] for k in keep} for a in in_force(rule, on, service, services)]


def rule_text(rule: Rule) -> str:
    """Plain Japanese summary: the search-index text and snippet of a rule."""
    lines = [rule.name]
    if rule.aliases:
        lines.append("別名: " + "、".join(rule.aliases))
    lines.append(f"{rule.kind} 対象: " + "、".join(rule.services))
    for a in rule.amounts:
        who = "、".join(a.services) + " " if a.services else ""
        lines.append(who + amount_text(a))
    for o in rule.obligations:
        what = "義務" if o.kind == "duty" else "努力義務"
        when = f"（{wareki(o.effective_from)}から" + (
            f"、経過措置{wareki(o.transition_until)}まで）" if o.transition_until else "）") if o.effective_from else ""
        lines.append(f"{what}{when}: " + "、".join(o.services))
    lines += [r.text for r in rule.requirements]
    return "\n".join(lines)
