"""Site: the static site and the browser's search index.

In: the Corpus, rules, services, thesaurus and the search units with their analysis.
Out: HTML pages rendered from ``site_templates/`` (``render``, ``pages``, ``paths``; the pages
a change leaves alone taken from the previous build, ``reuse``) and ``search-index.js``
(``browser_index``), which the browser searches from file://.
"""
