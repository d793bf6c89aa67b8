#!/usr/bin/env bash
# The test suite (unit, CLI, end-to-end and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q "$@"
