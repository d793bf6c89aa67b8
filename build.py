"""Build the search index and the static site: python build.py [--corpus DIR] [--build-dir DIR]."""
import sys

from kb.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
