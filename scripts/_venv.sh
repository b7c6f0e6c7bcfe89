# Sourced by the other scripts: create .venv once and install autoloop (with test extras) into it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
. .venv/bin/activate
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  pip install --quiet --upgrade pip
  pip install --quiet -e '.[test]'
  touch .venv/.installed
fi
export AUTOLOOP_SHARED_DATA="${AUTOLOOP_SHARED_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"
