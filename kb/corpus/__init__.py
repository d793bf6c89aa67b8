"""Corpus: documents, their clauses and the Q&A records, in memory.

In: ``corpus/documents/<id>.txt`` + ``<id>.toml`` (read through :mod:`kb.sources`).
Out: a :class:`~kb.corpus.load.Corpus`: validated :class:`Document` s, lossless
:class:`Clause` s with stable ids, and :class:`QA` records (a ruling belongs to its
original volume, with links to where it was quoted). Also the pure helpers every
later stage uses: display/search text (``normalize``), 和暦 dates (``dates``),
references such as ``Vol.1 問127`` (``refs``), data-file schemas (``schema``).
"""
