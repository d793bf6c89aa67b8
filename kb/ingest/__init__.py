"""Ingest: adding a new source to the corpus.

In: a PDF or text file (read through :mod:`kb.sources`) and the metadata the user
gives. Out: new corpus entries, validated with the corpus stage's own loader before
they are moved in, and a report of what was found.
"""
