"""A real OpenAI-compatible HTTP server on loopback for hermetic LLM tests.

The server answers ``POST /v1/chat/completions`` (and ``/chat/completions``) from a handler
``handler(request_json) -> Reply | str`` or from a script of replies served in order, and
``GET /v1/models`` (with llama.cpp's ``meta.n_ctx`` when given ``context_window``). ``GET
/props`` answers as llama.cpp's llama-server (``default_generation_settings.n_ctx``) when
given ``props_window``, else 404 as OpenAI does. A
request the test did not expect (past the end of the script, an unknown path, a handler that
raised) is answered with HTTP 500 *and* recorded in ``errors``; ``close()`` (and so the
context manager and the ``fake_openai`` fixture) raises ``AssertionError`` when any were
recorded, so a test cannot pass by accident.

Example:
    >>> with FakeOpenAI(script=[Reply.text('{"ok": 1}')]) as server:
    ...     client = openai.OpenAI(base_url=server.base_url, api_key="test")
    ...     client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass(frozen=True)
class Reply:
    """One answer of the fake server.

    Args:
        content: Assistant message text (for status 200).
        status: HTTP status; anything but 200 sends an OpenAI-style error body.
        message: Error message for non-200 replies.
        retry_after: Seconds sent in a ``Retry-After`` header, if given.
        delay_s: Seconds to wait before answering (simulates a slow or hanging server).
        prompt_tokens: Reported prompt tokens (default: words in the request messages).
        completion_tokens: Reported completion tokens (default: words in ``content``).
    """

    content: str = ""
    status: int = 200
    message: str = ""
    retry_after: float | None = None
    delay_s: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def text(cls, content: str, *, prompt_tokens: int | None = None, completion_tokens: int | None = None) -> Reply:
        """A successful completion with ``content``."""
        return cls(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def json(cls, payload: Any, **tokens: int) -> Reply:
        """A successful completion whose content is ``payload`` serialized as JSON."""
        return cls.text(json.dumps(payload), **tokens)

    @classmethod
    def error(cls, status: int, message: str = "fake server error", *, retry_after: float | None = None) -> Reply:
        """An HTTP error (429, 500, 400, ...) with an OpenAI-style error body."""
        return cls(status=status, message=message, retry_after=retry_after)

    @classmethod
    def hang(cls, delay_s: float, content: str = "too late") -> Reply:
        """A completion sent only after ``delay_s`` seconds."""
        return cls(content=content, delay_s=delay_s)


Handler = Callable[[dict[str, Any]], "Reply | str"]


def count_words(messages: Sequence[dict[str, Any]]) -> int:
    """Default prompt-token count: whitespace-separated words over all message contents."""
    return sum(len(str(m.get("content") or "").split()) for m in messages)


class FakeOpenAI:
    """An OpenAI-compatible chat server on ``127.0.0.1`` (random port) in a background thread.

    Args:
        handler: Called with each request body; returns a ``Reply`` (or plain text).
        script: Replies served in order instead of a handler; one request too many is an error.
        context_window: Reported in ``GET /v1/models`` as each model's ``meta.n_ctx``.
        props_window: Reported by ``GET /props`` (else that route answers 404).

    Attributes:
        base_url: ``http://127.0.0.1:PORT/v1``, for ``openai.OpenAI(base_url=...)``.
        requests: Every chat request body received, in order.
        headers: The request headers (lower-case names) of each chat request, in order.
        gets: The paths of every GET request, in order.
        errors: Unexpected requests and handler failures, re-raised by ``close``.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        script: Sequence[Reply | str] | None = None,
        context_window: int | None = None,
        props_window: int | None = None,
    ) -> None:
        if (handler is None) == (script is None):
            raise ValueError("pass exactly one of handler= or script=")
        self.context_window = context_window
        self.props_window = props_window
        self.gets: list[str] = []
        self._handler = handler
        self._script = list(script) if script is not None else None
        self._served = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.errors: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_request_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-openai", daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def remaining(self) -> int:
        """Scripted replies not served yet (0 in handler mode)."""
        return len(self._script) - self._served if self._script is not None else 0

    def _reply_for(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            index = len(self.requests)
            if self._script is not None:
                if self._served >= len(self._script):
                    return self._fail(f"unexpected request #{index}: the script has only {len(self._script)} replies")
                reply = self._script[self._served]
                self._served += 1
                return Reply.text(reply) if isinstance(reply, str) else reply
        try:
            reply = self._handler(body)  # type: ignore[misc] - handler mode when there is no script
        except Exception as exc:  # noqa: BLE001 - any handler bug must surface in the test, not kill the thread
            return self._fail(f"handler raised on request #{index}: {exc!r}")
        return Reply.text(reply) if isinstance(reply, str) else reply

    def _fail(self, message: str) -> Reply:
        self.errors.append(message)
        return Reply.error(500, f"fake_openai: {message}")

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def close(self, *, check: bool = True) -> None:
        """Stop the server; with ``check``, raise ``AssertionError`` if unexpected requests came."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if check and self.errors:
            raise AssertionError("fake OpenAI server saw unexpected requests:\n" + "\n".join(self.errors))

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # Do not mask the test's own failure with ours; report ours when the test passed.
        self.close(check=exc_type is None)


def _completion(body: dict[str, Any], reply: Reply, serial: int) -> dict[str, Any]:
    messages = body.get("messages") or []
    prompt = reply.prompt_tokens if reply.prompt_tokens is not None else count_words(messages)
    completion = reply.completion_tokens if reply.completion_tokens is not None else len(reply.content.split())
    return {
        "id": f"chatcmpl-fake-{serial}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": reply.content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def _make_request_handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class _RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log."""

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?", 1)[0]
            if path not in CHAT_PATHS:
                self._send(server._fail(f"unexpected POST {path}"), {})
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as exc:
                self._send(server._fail(f"request body is not JSON: {exc}"), {})
                return
            reply = server._reply_for(body, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay_s:
                server._wait(reply.delay_s)
            self._send(reply, body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with server._lock:
                server.gets.append(path)
            if path in ("/v1/models", "/models"):
                meta = {"meta": {"n_ctx": server.context_window}} if server.context_window else {}
                self._send_json(200, {"object": "list", "data": [{"id": "fake", "object": "model", **meta}]})
            elif path == "/props" and server.props_window:
                self._send_json(200, {"default_generation_settings": {"n_ctx": server.props_window}})
            elif path == "/props":
                self._send_json(404, {"error": {"message": "Not found", "type": "not_found_error", "code": 404}})
            else:
                self._send(server._fail(f"unexpected GET {self.path}"), {})

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send(self, reply: Reply, body: dict[str, Any]) -> None:
            if reply.status == 200:
                payload = _completion(body, reply, len(server.requests))
            else:
                payload = {"error": {"message": reply.message, "type": "fake_error", "code": reply.status}}
            data = json.dumps(payload).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if reply.retry_after is not None:
                    self.send_header("Retry-After", f"{reply.retry_after:g}")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout fired): nothing left to answer

    return _RequestHandler


@pytest.fixture
def fake_openai() -> Iterator[Callable[..., FakeOpenAI]]:
    """Factory fixture: ``fake_openai(script=[...])`` or ``fake_openai(handler)`` starts a server.

    Every server started is closed at teardown, which fails the test if any server saw an
    unexpected request. Import it into a test module or ``conftest.py`` to use it.
    """
    started: list[FakeOpenAI] = []

    def start(
        handler: Handler | None = None, *, script: Sequence[Reply | str] | None = None, context_window: int | None = None,
        props_window: int | None = None,
    ) -> FakeOpenAI:
        server = FakeOpenAI(handler, script=script, context_window=context_window, props_window=props_window)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close(check=True)
