"""Regenerate the golden browser index of the tiny fixture corpus.

Example:
  .venv/bin/python scripts/regen_golden.py

The browser search index is a contract between the build and site/search.js: a
change to it shows up as a diff of tests/golden/tiny-search-index.js, to be read
and committed on purpose (tests/test_golden.py compares byte for byte).
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "tests" / "fixtures" / "tiny"
GOLDEN = ROOT / "tests" / "golden" / "tiny-search-index.js"


def build_tiny(out: Path) -> Path:
    """Build the tiny corpus into out; return the site's search-index.js."""
    from kb.build import build

    build(FIXTURE, out)
    return out / "site" / "search-index.js"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(build_tiny(Path(tmp) / "build"), GOLDEN)
    print(f"wrote {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
