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

    def adder(self, target: dict, shared: set):
        """A function ``add(rule_id, ident)`` that files ``ident`` under ``rule_id`` in ``target`` (one
        of :attr:`clauses`, :attr:`qas`) and ``rule_id`` under ``ident`` in :attr:`rules`, each pair once
        (sets: a rule can be named by thousands of rulings; ``shared``, the pairs filed in :attr:`rules`,
        is the same for every adder of these links)."""
        filed, rules = set(), self.rules

        def add(rule_id: str, ident: str) -> None:
            pair = (rule_id, ident)
            if pair not in filed:
                filed.add(pair)
                target.setdefault(rule_id, []).append(ident)
            if pair not in shared:
                shared.add(pair)
                rules.setdefault(ident, []).append(rule_id)
        return add


def link_rules(corpus, rules: list[Rule], cache: dict | None = None) -> Links:
    """Clause and Q&A links for ``rules``, in corpus order (explicit related Q&As first).

    ``cache``: what an earlier call found, kept by the caller between builds (filled in here):
    the rule ids each text names, valid for the same names and aliases. A clause's text is found by
    its digest; a ruling by the digest its document's memo entry made of it
    (:meth:`kb.corpus.memo.Memo.object_digest`: 10,000 rulings' texts not digested again), else by
    its question's and answer's."""
    terms = _terms(rules)
    cache = {} if cache is None else cache
    if cache.get("terms") != terms:
        cache.clear()
        cache.update(terms=terms, named={})
    named: dict[bytes, list[str]] = cache["named"]
    kept: dict[bytes, list[str]] = {}  # this corpus's texts: what the cache keeps

    def names(k: bytes, search) -> list[str]:
        """The rule ids ``search()`` (the search text of what ``k`` digests) names."""
        found = kept.get(k)
        if found is None:
            found = kept[k] = named[k] if k in named else mentioned(search(), terms)
        return found

    def text_key(text: str) -> bytes:
        return hashlib.blake2b(text.encode(), digest_size=16).digest()

    memo = getattr(corpus, "memo", None)
    ruling_key = memo.object_digest if memo is not None else (lambda q: None)
    links = Links()
    in_rules: set = set()
    add_qa, add_clause = links.adder(links.qas, in_rules), links.adder(links.clauses, in_rules)
    for r in rules:
        for q in r.related:
            add_qa(r.id, q)
    for c in corpus.clauses:
        for rule_id in names(text_key(c.search), lambda: c.search):
            add_clause(rule_id, c.id)
    for q in corpus.qas:
        k = ruling_key(q) or text_key(f"{q.question}\n{q.answer}")  # (QA.search: of this text)
        for rule_id in names(k, lambda: q.search):
            add_qa(rule_id, q.id)
    cache["named"] = kept
    return links
