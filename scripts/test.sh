#!/usr/bin/env bash
# The test command: venv + install, lint, then every test (unit, integration, end-to-end).
. "$(dirname "$0")/_venv.sh"
ruff check .
python -m pytest -q "$@"
