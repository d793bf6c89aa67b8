"""Re-point the clause ids cited by corpus/rules/*.toml after a segmentation change.

Example:
  .venv/bin/python scripts/repoint_rule_sources.py HEAD      # ids as segmented at HEAD -> now
  .venv/bin/kaigo-kb rules check                              # then check, and read the diff

A rule cites clauses by id; when kb/corpus/clauses.py changes how a document is split, some
ids change (`kaigo-kb rules check` then names each one and where its number is printed
now). This maps every cited id that no longer exists, using the old revision's
segmentation: the new clause of the same document whose span overlaps the old one
most, preferring one that prints the amount's value. Review the diff before committing.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = re.compile(r'"([a-z0-9][a-z0-9\-]*:[^"]+)"')


def clauses_at(tree: Path):
    """The clauses of the corpus, segmented by the kb package found in ``tree``."""
    code = (
        "import json,sys;sys.path.insert(0,sys.argv[1])\n"
        "try:\n from kb.corpus.load import load_corpus\n"
        "except ImportError:\n from kb.corpus import load_corpus\n"  # a revision before the layout of issue 9
        "c=load_corpus(sys.argv[1]+'/corpus')\n"
        "print(json.dumps([[x.id,x.doc_id,x.start,x.end,x.search] for x in c.clauses]+"
        "[[q.id,'',0,0,''] for q in c.qas],ensure_ascii=False))"
    )
    import json

    out = subprocess.run([sys.executable, "-c", code, str(tree)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(rev: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old_tree), rev], check=True)
        try:
            old = {c[0]: c for c in clauses_at(old_tree)}
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=True)
    new = clauses_at(ROOT)
    new_ids = {c[0] for c in new}
    changed = 0
    for path in sorted((ROOT / "corpus" / "rules").glob("*.toml")):
        text = path.read_text(encoding="utf-8")

        def repoint(m: re.Match) -> str:
            nonlocal changed
            sid = m.group(1)
            if sid in new_ids or sid not in old:
                return m.group(0)
            _, doc, start, end, _ = old[sid]
            head = text[:m.start()]
            table = head[head.rfind("[["):] if "[[" in head else ""
            value = re.search(r"^value = (\d+)", table, re.M)
            best = max(
                (c for c in new if c[1] == doc and min(c[3], end) > max(c[2], start)),
                key=lambda c: (bool(value) and re.search(rf"(?<!\d){value.group(1)}(?!\d)", c[4]) is not None,
                               min(c[3], end) - max(c[2], start)),
                default=None,
            )
            if best is None:
                return m.group(0)
            changed += 1
            print(f"{path.name}: {sid} -> {best[0]}")
            return f'"{best[0]}"'

        new_text = SOURCE.sub(repoint, text)
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
    print(f"{changed} source(s) re-pointed; now run: kaigo-kb rules check")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "HEAD"))
