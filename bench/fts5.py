"""The SQLite FTS5 baseline: the same search units and the same Sudachi terms, indexed by SQLite's
full-text engine and ranked with its bm25() (the field boosts of kb.search.index), so that
bench/run.py can give each kaigo-kb figure as a ratio to what a developer would pick instead,
measured in the same run.

    python bench/fts5.py index CORPUS OUT_DIR        # prints timings (JSON); OUT_DIR/fts5.db
    python bench/fts5.py search OUT_DIR "ショートステイ 算定"

The index step runs in a fresh process, as a build does: it loads the corpus, makes the units
(``prep``, reported apart), analyses every unit text afresh with kb.search.analysis (the user
dictionary compiled as the build compiles it, from the same cache; the build's analysis cache
is not used) and inserts the terms. Each term is written as the hex of its UTF-8 bytes, so
SQLite's ascii tokenizer sees exactly one token per Sudachi term. A query is analysed the same
way and matches any of its terms (words and their parts), best bm25() first.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.search.index import FIELD_BOOSTS  # noqa: E402
from peak import peak_rss_mb  # noqa: E402
from kb.search.units import SEARCH_FIELDS  # noqa: E402

DB = "fts5.db"
WEIGHTS = ", ".join(str(FIELD_BOOSTS[f]) for f in SEARCH_FIELDS)  # bm25() column weights, in column order


def token(term: str) -> str:
    return term.encode("utf-8").hex()


def index(corpus_dir: Path, out: Path) -> dict:
    """Build OUT/fts5.db from the corpus; the phases' seconds and the peak memory."""
    from kb.search import analysis
    from kb.search.index import prepare_analysis
    from kb.search.inputs import load_inputs
    from kb.search.units import build_units

    t0 = time.perf_counter()
    inputs = load_inputs(corpus_dir)
    units = build_units(inputs.corpus, inputs.rules, inputs.services)
    prepare_analysis(out, inputs)  # user.dic beside the database, for the queries
    t1 = time.perf_counter()
    db = out / DB
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute(f"CREATE VIRTUAL TABLE units USING fts5({', '.join(SEARCH_FIELDS)}, data UNINDEXED, "
                "tokenize='ascii')")

    def rows():
        for u in units:
            terms = [" ".join(token(t.term) for t in analysis.tokenize(getattr(u, f))) if getattr(u, f) else ""
                     for f in SEARCH_FIELDS]
            yield (*terms, json.dumps(u.data, ensure_ascii=False, sort_keys=True))

    with con:
        con.executemany(f"INSERT INTO units VALUES ({', '.join('?' * (len(SEARCH_FIELDS) + 1))})", rows())
        con.execute("INSERT INTO units(units) VALUES ('optimize')")
    con.close()
    t2 = time.perf_counter()
    return {"prep_seconds": round(t1 - t0, 2), "index_seconds": round(t2 - t1, 2), "units": len(units),
            "db_bytes": db.stat().st_size, "peak_rss_mb": round(peak_rss_mb(), 1)}


class Searcher:
    """An open FTS5 index; ``search`` analyses the query as kaigo-kb does and returns the hits' data."""

    def __init__(self, out: Path):
        from kb.search import analysis

        dic = out / "user.dic"
        analysis.configure(str(dic) if dic.exists() else None)
        self.con = sqlite3.connect(out / DB)

    def search(self, query: str, limit: int = 10) -> list[dict]:
        from kb.corpus.normalize import query_text
        from kb.search import analysis

        terms = dict.fromkeys(t.term for t in analysis.tokenize(query_text(query)))
        if not terms:
            return []
        match = " OR ".join(f'"{token(t)}"' for t in terms)
        rows = self.con.execute(f"SELECT data FROM units WHERE units MATCH ? ORDER BY bm25(units, {WEIGHTS}) "
                                "LIMIT ?", (match, limit))
        return [json.loads(d) for (d,) in rows]

    def close(self) -> None:
        self.con.close()


def main(argv=None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "index":
        out = Path(args[2])
        out.mkdir(parents=True, exist_ok=True)
        print(json.dumps(index(Path(args[1]), out)))
    elif len(args) == 3 and args[0] == "search":
        for hit in Searcher(Path(args[1])).search(args[2]):
            print(hit["id"], hit.get("headline", ""))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
