#!/usr/bin/env bash
# The test command: venv + install, lint, then every test (unit, integration, end-to-end).
. "$(dirname "$0")/_venv.sh"
# tests/security creates an unprivileged user (useradd, from Debian's passwd package) to show
# the sandbox refuses to run unconfined; install it on a bare image when we can.
if ! command -v useradd >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq passwd util-linux >/dev/null
fi
ruff check .
python -m pytest -q "$@"
