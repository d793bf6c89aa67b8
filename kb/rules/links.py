"""Links between clauses, Q&As and rule entries.

A clause or Q&A links to a rule when its search text names the rule (name or alias).
At each place the longest name wins, so text about 協力医療機関連携加算 does not also
link to the rule whose alias is 協力医療機関. A rule's explicit ``related`` Q&As are
always linked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .entries import Rule
from .services import key


def _terms(rules: list[Rule]) -> list[tuple[str, str]]:
    """(match key, rule id), longest first.

    An alias that is part of another rule's name (協力医療機関 in 協力医療機関連携加算)
    is too general to link on: it finds the rule by name (find_rule) but links nothing."""
    names = {key(r.name): r.id for r in rules}
    out = set()
    for r in rules:
        out.add((key(r.name), r.id))
        for t in r.aliases:
            k = key(t)
            if len(k) >= 2 and not any(k in n and rid != r.id for n, rid in names.items()):
                out.add((k, r.id))
    return sorted(out, key=lambda kv: (-len(kv[0]), kv))


def mentioned(text: str, terms: list[tuple[str, str]]) -> list[str]:
    """Rule ids named in ``text``; a name inside a longer matched name does not count."""
    s = key(text)
    taken = [False] * len(s)
    found: list[str] = []
    for term, rule_id in terms:
        start = s.find(term)
        while start >= 0:  # each match left to right, not overlapping (as re.finditer)
            end = start + len(term)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(term)
                if rule_id not in found:
                    found.append(rule_id)
            start = s.find(term, end)
    return found


@dataclass
class Links:
    clauses: dict[str, list[str]] = field(default_factory=dict)  # rule id -> clause ids
    qas: dict[str, list[str]] = field(default_factory=dict)  # rule id -> Q&A ids
    rules: dict[str, list[str]] = field(default_factory=dict)  # clause or Q&A id -> rule ids

    def clauses_of(self, rule_id: str) -> list[str]:
        return list(self.clauses.get(rule_id, []))

    def qas_of(self, rule_id: str) -> list[str]:
        return list(self.qas.get(rule_id, []))

    def rules_of(self, ident: str) -> list[str]:
        return list(self.rules.get(ident, []))

    def _add(self, target: dict, rule_id: str, ident: str) -> None:
        if ident not in target.setdefault(rule_id, []):
            target[rule_id].append(ident)
        if rule_id not in self.rules.setdefault(ident, []):
            self.rules[ident].append(rule_id)


def link_rules(corpus, rules: list[Rule]) -> Links:
    """Clause and Q&A links for ``rules``, in corpus order (explicit related Q&As first)."""
    terms = _terms(rules)
    links = Links()
    for r in rules:
        for q in r.related:
            links._add(links.qas, r.id, q)
    for c in corpus.clauses:
        for rule_id in mentioned(c.search, terms):
            links._add(links.clauses, rule_id, c.id)
    for q in corpus.qas:
        for rule_id in mentioned(q.search, terms):
            links._add(links.qas, rule_id, q.id)
    return links
