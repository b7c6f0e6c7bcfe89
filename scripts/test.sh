#!/usr/bin/env bash
# The test command: venv + install, then every test (unit, integration, end-to-end).
. "$(dirname "$0")/_venv.sh"
python -m pytest -q "$@"
