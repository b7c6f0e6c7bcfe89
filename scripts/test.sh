#!/usr/bin/env bash
# The test command: venv + install, lint, then every test (unit, integration, end-to-end)
# except the real-LLM suite (marker real_llm), which .ci/run runs against a local server.
. "$(dirname "$0")/_venv.sh"
ruff check .
python -m pytest -q -m "not real_llm" "$@"
