"""A rule entry as one JSON object (``kaigo-kb rule --json``, ``show``): its facts, the
amounts and obligation in force on a date for a service, and the clauses and Q&As
that mention it."""
from __future__ import annotations

import datetime as dt

from .entries import Rule, amount_dict, in_force_dicts, load_rules, obligation_for, rule_text
from .links import link_rules
from .services import Services, load_services


def rule_dict(rule: Rule, corpus, on: dt.date | None = None, service: str | None = None,
              services: Services | None = None, all_rules: list[Rule] | None = None) -> dict:
    """JSON-able rule; ``in_force`` and ``obligation`` are as of ``on`` (default today) for ``service``."""
    services = services or load_services(corpus.root)
    on = on or dt.date.today()
    official = services.resolve(service) if service else None
    links = link_rules(corpus, all_rules if all_rules is not None else load_rules(corpus.root))
    obligation = obligation_for(rule, official, on, services) if official else None
    return {
        "id": rule.id, "kind": "rule", "rule_kind": rule.kind, "name": rule.name, "reading": rule.reading,
        "aliases": list(rule.aliases), "services": list(rule.services),
        "amounts": [amount_dict(rule, a) for a in rule.amounts],
        "requirements": [{"text": r.text, "source": r.source, "services": list(r.services)}
                         for r in rule.requirements],
        "obligations": [{"kind": o.kind, "services": list(o.services), "effective_from": o.effective_from,
                         "transition_until": o.transition_until, "source": o.source, "note": o.note}
                        for o in rule.obligations],
        "notes": list(rule.notes), "related_qas": links.qas_of(rule.id), "mentions": links.clauses_of(rule.id),
        "on": on.isoformat(), "service": official,
        "in_force": in_force_dicts(rule, on, official, services),
        "obligation": obligation,
        "citation": rule.name, "title": rule.name, "text": rule_text(rule),
    }
