#!/usr/bin/env bash
# The test command: venv + install, lint, then every test (unit, integration, end-to-end)
# except the real-LLM suite (marker real_llm), which .ci/run runs against a local server.
. "$(dirname "$0")/_venv.sh"
# tests/security creates an unprivileged user (useradd, from Debian's passwd package) to show
# the sandbox refuses to run unconfined; install it on a bare image when we can.
if ! command -v useradd >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq passwd util-linux >/dev/null
fi
# tests/report opens the study report in headless Chromium (skipped without it); install it when we can.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# Candidate code runs only under kernel confinement, which needs root. A developer's
# non-root run uses the explicit unsafe switch; tests/security then checks the refusal only.
if [ "$(id -u)" != 0 ] && [ -z "${AUTOLOOP_UNSAFE_SANDBOX:-}" ]; then
  echo "not root: sandbox tests run with AUTOLOOP_UNSAFE_SANDBOX=1 (no kernel confinement)" >&2
  export AUTOLOOP_UNSAFE_SANDBOX=1
fi
ruff check .
# Three test processes on two cores: most of the suite waits on subprocesses, servers and sandboxes.
# One file stays in one process (module-scoped clusters are started once, the unprivileged user
# of tests/security is made once). AUTOLOOP_TEST_PROCESSES=0 runs everything in this process.
python -m pytest -q -m "not real_llm" -n "${AUTOLOOP_TEST_PROCESSES:-3}" --dist loadfile --durations=10 "$@"
