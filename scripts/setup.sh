#!/usr/bin/env bash
# Set-up + build on a fresh machine: venv, dependencies, index and site.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]"
# the package's bytecode, compiled once: an editable install leaves it to the first run, and where
# PYTHONDONTWRITEBYTECODE is set every run would compile kb's modules again (~25 ms of each search)
.venv/bin/python -m compileall -q kb build.py
.venv/bin/python build.py
echo
echo "Site:   $(pwd)/build/site/index.html  (open it in a browser, no server needed)"
echo "Search: .venv/bin/kaigo-kb search \"ショートステイ 算定\"   (or: source .venv/bin/activate)"
