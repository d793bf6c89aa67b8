"""Search: what a hit is, how text is analysed, the index, and the query side.

In: a Corpus, rules, services and the thesaurus. Out: search units (``units``), their
Sudachi analysis (``analysis``), the Whoosh index with precomputed BM25F impacts
(``index``, ``impact``) and a :class:`~kb.search.searcher.Searcher` that answers queries.
"""
