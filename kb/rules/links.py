"""Links between clauses, Q&As and rule entries.

A clause or Q&A links to a rule when its search text names the rule (name or alias).
At each place the longest name wins, so text about 協力医療機関連携加算 does not also
link to the rule whose alias is 協力医療機関. A rule's explicit ``related`` Q&As are
always linked.
"""
from __future__ import annotations

import hashlib
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

    def _add(self, target: dict, rule_id: str, ident: str, seen: set) -> None:
        if (id(target), rule_id, ident) not in seen:  # a set: a rule can be named by thousands of rulings
            seen.add((id(target), rule_id, ident))
            target.setdefault(rule_id, []).append(ident)
        if (None, rule_id, ident) not in seen:
            seen.add((None, rule_id, ident))
            self.rules.setdefault(ident, []).append(rule_id)


def link_rules(corpus, rules: list[Rule], cache: dict | None = None) -> Links:
    """Clause and Q&A links for ``rules``, in corpus order (explicit related Q&As first).

    ``cache``: what an earlier call found, kept by the caller between builds (filled in here):
    the rule ids each text names, by the text's digest, valid for the same names and aliases."""
    terms = _terms(rules)
    cache = {} if cache is None else cache
    if cache.get("terms") != terms:
        cache.clear()
        cache.update(terms=terms, named={})
    named: dict[bytes, list[str]] = cache["named"]
    kept: dict[bytes, list[str]] = {}  # this corpus's texts: what the cache keeps

    def names(text: str, search) -> list[str]:
        """The rule ids ``search()`` (the search text made from ``text``) names."""
        k = hashlib.blake2b(text.encode(), digest_size=16).digest()
        if k not in kept:
            kept[k] = named[k] if k in named else mentioned(search(), terms)
        return kept[k]

    links = Links()
    seen: set = set()
    for r in rules:
        for q in r.related:
            links._add(links.qas, r.id, q, seen)
    for c in corpus.clauses:
        for rule_id in names(c.search, lambda: c.search):
            links._add(links.clauses, rule_id, c.id, seen)
    for q in corpus.qas:
        for rule_id in names(f"{q.question}\n{q.answer}", lambda: q.search):  # QA.search: of this text
            links._add(links.qas, rule_id, q.id, seen)
    cache["named"] = kept
    return links
