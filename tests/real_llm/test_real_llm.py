"""Short ``autoloop run``s against a real LLM server (llama-cpp-python, Qwen2.5-Coder 0.5B).

Marked ``real_llm``: ``scripts/test.sh`` leaves them out; ``.ci/run`` starts the server with
``scripts/local-llm.sh start qwen2.5-coder-0.5b`` and runs them after the main suite, with
``AUTOLOOP_REAL_LLM_URL`` set to its base URL. Without a server they are skipped, saying so.

Every request goes through a recording proxy, so each test checks what the server really
answered: the request shape was accepted (structured output possibly downgraded along the
chain, never failing the run), ``max_tokens`` was sent, every update was applied or skipped
with a reason, the tokens in the result are the server's own ``usage``, and the run printed
its result. A small model's updates may well be useless: only the protocol is asserted.
"""

from __future__ import annotations

import json
import os
import select
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from autoloop.cli import main
from autoloop.cli._run import EXECUTOR_FLAGS

pytestmark = [pytest.mark.real_llm, pytest.mark.integration]

URL_ENV = "AUTOLOOP_REAL_LLM_URL"
OPTIMIZER_MODEL = "optimizer"
EXECUTOR_MODEL = "executor"
BBEH_VARIANT = "disambiguation_qa"
BBEH_EXAMPLES = 27  # 15 train + 10 val + 1 revalidation + 1 test: the smallest data the task accepts


class RecordingProxy:
    """Forwards requests to ``upstream`` and records each chat body, status and reply.

    A reply that arrives after the client gave up (its timeout fired; it re-sends the request
    once) reaches no one: it goes to ``abandoned``, not ``exchanges``, as its tokens never
    reach the client's count.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.exchanges: list[tuple[dict[str, Any], int, dict[str, Any]]] = []
        self.abandoned: list[tuple[dict[str, Any], int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Silent."""

            def do_GET(self) -> None:  # the models list and /props: what the server says of its context window
                self._relay(*self._forward(None))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, data = self._forward(raw)
                gone = self._client_gone()
                with proxy._lock:
                    (proxy.abandoned if gone else proxy.exchanges).append((json.loads(raw), status, json.loads(data or b"{}")))
                if not gone:
                    self._relay(status, data)

            def _forward(self, raw: bytes | None) -> tuple[int, bytes]:
                path = self.path if self.path.startswith("/props") else self.path.removeprefix("/v1")
                upstream = proxy.upstream.removesuffix("/v1") if path.startswith("/props") else proxy.upstream
                request = urllib.request.Request(upstream + path, raw, {"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=1800) as response:
                        return response.status, response.read()
                except urllib.error.HTTPError as exc:
                    return exc.code, exc.read()

            def _client_gone(self) -> bool:
                """The client closed its connection (a timed-out request): readable with nothing to read."""
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""

            def _relay(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def of(self, model: str) -> list[tuple[dict[str, Any], int, dict[str, Any]]]:
        """The exchanges of requests naming ``model``."""
        return [e for e in self.exchanges if e[0].get("model") == model]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def server_url() -> str:
    url = os.environ.get(URL_ENV)
    if not url:
        pytest.skip(f"real_llm: no LLM server; set {URL_ENV} (scripts/local-llm.sh start qwen2.5-coder-0.5b prints it)")
    try:
        urllib.request.urlopen(url.rstrip("/") + "/models", timeout=5).close()
    except OSError as exc:
        pytest.skip(f"real_llm: the LLM server at {url} does not answer ({exc})")
    return url


@pytest.fixture
def proxy(server_url: str) -> Iterator[RecordingProxy]:
    recorder = RecordingProxy(server_url)
    yield recorder
    recorder.close()


def _run(capsys, argv: list[str]) -> dict[str, Any]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, (captured.err + captured.out)[-2000:]  # --json puts the error on stdout
    out = captured.out
    return json.loads(out)


def _check_protocol(proxy: RecordingProxy, result: dict[str, Any], *, max_tokens: int) -> None:
    calls = proxy.of(OPTIMIZER_MODEL)
    assert calls, "the optimizer sent no request"
    for body, status, reply in calls:
        assert body["max_tokens"] == max_tokens
        # Anything but success must be a structured-output rejection that the next request downgraded.
        assert status == 200 or "response_format" in body, (status, reply)
    assert calls[-1][1] == 200, "the server accepted no request shape"
    used = [reply["usage"] for _, status, reply in calls if status == 200]
    assert result["prompt_tokens"] == sum(u["prompt_tokens"] for u in used)
    assert result["completion_tokens"] == sum(u["completion_tokens"] for u in used)
    everyone = [reply["usage"] for _, status, reply in proxy.exchanges if status == 200]  # an executor's too
    assert result["tokens"] == sum(u["prompt_tokens"] + u["completion_tokens"] for u in everyone)
    assert result["iterations"] >= 1
    assert 0 <= result["skipped_updates"] <= result["iterations"]
    assert len(result["skip_reasons"]) == min(result["skipped_updates"], 3)
    assert all(reason.strip() for reason in result["skip_reasons"])
    applied = result["iterations"] - result["skipped_updates"]
    formats = [b.get("response_format", {}).get("type") for b, _, _ in calls]
    print(
        f"real_llm: {len(calls)} optimizer requests ({len(proxy.abandoned)} more timed out and re-sent), formats {formats}, "
        f"{applied} applied, {result['skipped_updates']} skipped {result['skip_reasons']}, {result['tokens']} tokens, "
        f"best_val {result['best_val']}, test {result['test']}, {result['wall_time_s']:.0f}s"
    )


def _llm_args(proxy: RecordingProxy, *, max_tokens: int, answer_format: str) -> list[str]:
    return [
        "--optimizer", "llm", "--model", OPTIMIZER_MODEL, "--base-url", proxy.base_url, "--max-tokens", str(max_tokens),
        "--answer-format", answer_format, "--llm-timeout", "600", "--temperature", "0.2", "--iterations", "1",
    ]


def test_an_ml_pipeline_run(proxy, capsys, shared_data, monkeypatch):
    monkeypatch.setenv("AUTOLOOP_LLM_MAX_PARSE_RETRIES", "1")
    argv = ["run", "mlpipeline:spaceship-titanic", "--data", str(shared_data), *_llm_args(proxy, max_tokens=768, answer_format="json")]
    result = _run(capsys, argv)
    _check_protocol(proxy, result, max_tokens=768)
    assert result["test"] is not None


def test_a_pong_run_with_the_fenced_format(proxy, capsys, monkeypatch):
    monkeypatch.setenv("AUTOLOOP_LLM_MAX_PARSE_RETRIES", "1")
    monkeypatch.setenv("AUTOLOOP_ATARI_PROTOCOL", "1x300")
    result = _run(capsys, ["run", "atari:Pong", *_llm_args(proxy, max_tokens=768, answer_format="fenced")])
    _check_protocol(proxy, result, max_tokens=768)
    assert all("response_format" not in body for body, _, _ in proxy.of(OPTIMIZER_MODEL))


def test_a_small_bbeh_run_with_executor_and_optimizer_on_one_server(proxy, capsys, shared_data, tmp_path, monkeypatch):
    source = json.loads((shared_data / "bbeh" / f"bbeh_{BBEH_VARIANT}" / "task.json").read_text())
    folder = Path(tmp_path / "bbeh" / f"bbeh_{BBEH_VARIANT}")
    folder.mkdir(parents=True)
    (folder / "task.json").write_text(json.dumps({"examples": source["examples"][:BBEH_EXAMPLES]}))
    monkeypatch.setenv("AUTOLOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_BASE_URL", proxy.base_url)
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_MODEL", EXECUTOR_MODEL)
    monkeypatch.setenv("AUTOLOOP_LLM_MAX_PARSE_RETRIES", "0")
    for variable in EXECUTOR_FLAGS.values():  # the --executor-* flags set these in this process: restore them after
        monkeypatch.setenv(variable, "1")
    argv = [
        "run", f"bbeh:{BBEH_VARIANT}", "--data", str(tmp_path), *_llm_args(proxy, max_tokens=512, answer_format="json"),
        "--executor-max-tokens", "48", "--executor-concurrency", "1", "--executor-timeout", "600",
    ]
    result = _run(capsys, argv)
    _check_protocol(proxy, result, max_tokens=512)
    executor = proxy.of(EXECUTOR_MODEL)
    assert executor and all(body["max_tokens"] == 48 and status == 200 for body, status, _ in executor)
    assert all(reply["usage"]["completion_tokens"] <= 48 for _, _, reply in executor)
