"""kaigo-kb: an offline knowledge base of 介護保険・介護報酬 rules and MHLW Q&A rulings.

The package is the pipeline, one subpackage per stage; a stage imports only the
stages before it (tests/test_layout.py checks it):

    sources  ->  corpus  ->  rules  ->  search  ->  site  ->  build  ->  cli
    (files,      (documents, (services,  (analysis, (pages,    (the      (click
     PDF)         clauses,    rule        index,     browser    build)    commands)
                  Q&As)       entries)    searcher)  index)

``ingest`` adds a document to the corpus (it uses sources and corpus);
``locations`` knows the default folders and ``processes`` runs work in forked child
processes (the analysis workers, the Whoosh writer, half of the pages); both import nothing.
"""
