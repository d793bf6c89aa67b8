"""In-process search-quality check on a query TSV (same format and matching as
../shared/eval/score.py), for quick tuning: python bench/eval_queries.py FILE.tsv [-v]."""
import re
import sys
import unicodedata
from pathlib import Path

from kb.search.searcher import Searcher


def norm(s):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def load(path):
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            qid, query, k, expected, *_ = (line.split("\t") + [""] * 5)
            rows.append((qid, query, int(k), [[norm(p) for p in alt.split("&")] for alt in expected.split(" | ")]))
    return rows


def evaluate(searcher, rows, verbose=False):
    ok, rr = 0, 0.0
    for qid, query, k, alts in rows:
        hits = searcher.search(query, limit=10).hits
        rank = next((i + 1 for i, h in enumerate(hits)
                     if any(all(p in norm(h.data.get("title", "") + "\n" + h.data.get("text", "")) for p in alt)
                            for alt in alts)), None)
        ok += rank is not None and rank <= k
        rr += 1 / rank if rank else 0
        if verbose or not (rank and rank <= k):
            print(f"{qid} {'ok ' if rank and rank <= k else 'MISS'} rank={rank} k={k} {query}")
    return ok, len(rows), rr / len(rows)


if __name__ == "__main__":
    s = Searcher(Path("build/index"))
    ok, n, mrr = evaluate(s, load(sys.argv[1]), "-v" in sys.argv)
    print(f"success@k={ok}/{n} MRR={mrr:.3f}")
