"""Build the search index and the static site: python build.py [--corpus DIR] [--build-dir DIR]."""
import sys

from kb.cli import run

if __name__ == "__main__":
    sys.exit(run(["build", *sys.argv[1:]], prog_name="build.py"))
