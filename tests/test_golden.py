"""Golden file: the browser index of a tiny hand-made corpus, byte for byte.

If this fails after an intended change to the analysis, the units or the index
format, regenerate with `python scripts/regen_golden.py` and review the diff."""
import json

from scripts.regen_golden import GOLDEN, build_tiny


def test_browser_index_of_the_tiny_corpus_matches_the_golden_file(tmp_path):
    built = build_tiny(tmp_path / "build").read_bytes()
    assert built == GOLDEN.read_bytes(), "browser index changed: run scripts/regen_golden.py and review the diff"


def test_golden_index_holds_the_tiny_corpus():
    text = GOLDEN.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{"):text.rindex("}") + 1])
    ids = set(data["units"]["id"]) if isinstance(data["units"], dict) else {u["id"] for u in data["units"]}
    assert {"r6-qa-vol20-q1", "r6-qa-vol20-q2", "r6-qa-vol20-q3"} <= ids
