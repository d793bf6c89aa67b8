"""Rules: the controlled service list and the rule entries (加算・基準).

In: a Corpus, ``corpus/services.toml`` and ``corpus/rules/*.toml``. Out:
:class:`Services` (names, abbreviations, groups), :class:`Rule` s checked against the
clauses they cite, amounts and obligations as of a date, and the links between rules
and the clauses and Q&As that mention them.
"""
