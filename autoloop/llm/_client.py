"""ChatClient: one chat call to an OpenAI-compatible endpoint, with bounded retries and token counts.

Shared by the ``llm`` optimizer and by tasks whose artifact is a prompt (BBEH). It retries
429, 5xx and connection failures with exponential backoff (honouring a capped
``Retry-After``) and a timeout once at most (the server may still be working on it). Asked for
structured output, it walks the chain ``json_schema`` -> ``json_object`` with a schema ->
``json_object`` -> plain prompting as the server rejects each (whatever the status, when the
error names the response format), and remembers per endpoint and model where it got to. A
request too long for the model's context is a ``ContextLengthError``, never a format
rejection. ``max_tokens`` is always sent. Tokens are counted into a ``Usage``; every failure
becomes an ``OptimizerError`` that names the endpoint and the fix. The key is never logged.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import openai

from autoloop.errors import ConfigError, ContextLengthError, OptimizerError
from autoloop.llm._config import LLMConfig
from autoloop.llm._outbound import OutboundPolicy, pinned_transport, refusal_type
from autoloop.llm._usage import Usage

logger = logging.getLogger(__name__)

# A key is required by the openai client even for local servers that ignore it.
PLACEHOLDER_KEY = "not-needed"
MAX_ERROR_CHARS = 300
# What an error says instead of the server's message when the config says not to quote it.
WITHHELD = "the server's reply is not shown here"

# Transient failures worth retrying: rate limits, server errors, timeouts, refused connections.
RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)
# A timed-out request may still occupy the server: it is re-sent once at most.
MAX_TIMEOUT_RETRIES = 1
# Ways of asking for structured output, most specific first; a server rejecting one gets the next.
FORMAT_CHAIN = ("json_schema", "json_object_schema", "json_object", "plain")
# What servers say when a prompt plus max_tokens exceeds the model's window (OpenAI/vLLM
# "maximum context length", llama.cpp "context size"/"context window", Ollama, others).
CONTEXT_EXCEEDED = re.compile(r"context[ _](length|window|size)|n_ctx|too many tokens|prompt is too long", re.IGNORECASE)
# An error that names the structured-output request is a rejection of it, whatever its status
# (llama-cpp-python answers json_schema with HTTP 500).
NAMES_FORMAT = re.compile(r"response_format|json_schema|json_object", re.IGNORECASE)
REJECTED_STATUSES = (400, 422)

# Where in FORMAT_CHAIN each (endpoint, model) got to, for every client of this process.
_format_level: dict[tuple[str, str], int] = {}
_format_lock = threading.Lock()

Message = Mapping[str, str]


@dataclass(frozen=True)
class ChatReply:
    """The text of one completion and the tokens the server reported for it.

    Attributes:
        truncated: The server stopped at ``max_tokens`` (``finish_reason == "length"``).
    """

    content: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool = False


@dataclass(frozen=True)
class Advice:
    """What a failing endpoint is called and what to check, by the role it plays."""

    what: str
    url: str
    key: str
    timeout: str
    otherwise: str


ADVICE = {
    "optimizer": Advice(
        "LLM endpoint", "AUTOLOOP_LLM_BASE_URL / OPENAI_BASE_URL", "AUTOLOOP_LLM_API_KEY / OPENAI_API_KEY",
        "the LLM timeout (--llm-timeout, AUTOLOOP_LLM_TIMEOUT_S)", "or run with the offline optimizer (--optimizer local)",
    ),
    "executor": Advice(
        "executor LLM", "AUTOLOOP_EXECUTOR_BASE_URL (else OPENAI_BASE_URL)", "AUTOLOOP_EXECUTOR_API_KEY (else OPENAI_API_KEY)",
        "--executor-timeout (AUTOLOOP_EXECUTOR_TIMEOUT_S)",
        "or start a model on loopback (scripts/local-llm.sh start qwen2.5-coder-0.5b); a prompt task needs an executor "
        "model whatever the optimizer, --optimizer local does not replace it",
    ),
}


class ChatClient:
    """Calls ``chat.completions`` on the endpoint of an ``LLMConfig``.

    Args:
        config: Endpoint, model, timeout and retry counts.
        backoff_s: First retry delay; it doubles with every further retry.
        max_backoff_s: Cap on any single delay, ``Retry-After`` included.

    One client may serve many threads at once (the openai client is thread-safe; the
    counters here are guarded by a lock).

    Attributes:
        usage: Calls and tokens of every successful request made through this client.
    """

    def __init__(self, config: LLMConfig, *, backoff_s: float = 1.0, max_backoff_s: float = 30.0, role: str = "optimizer") -> None:
        if backoff_s < 0 or max_backoff_s < 0:
            raise ConfigError(f"backoff_s and max_backoff_s must be >= 0, got {backoff_s=} {max_backoff_s=}")
        if role not in ADVICE:
            raise ConfigError(f"role must be one of {sorted(ADVICE)}, got {role!r}")
        self.config = config
        self.advice = ADVICE[role]
        self._warned: set[str] = set()
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.usage = Usage()
        self._lock = threading.Lock()
        self._client = openai.OpenAI(
            base_url=config.base_url,
            api_key=config.api_key or PLACEHOLDER_KEY,
            timeout=config.timeout_s,
            max_retries=0,  # retries are ours: bounded, logged, with a clear final error
            # A redirect is an error, not a second request: an endpoint the operator allowed
            # must not send the call on to a host nobody checked (an internal one, say).
            http_client=openai.DefaultHttpxClient(follow_redirects=False, timeout=config.timeout_s, transport=_transport(config)),
        )
        self.endpoint = str(self._client.base_url).rstrip("/")

    @property
    def structured_format(self) -> str:
        """The way of asking for structured output this endpoint accepts (``FORMAT_CHAIN``), as far as known."""
        with _format_lock:
            return FORMAT_CHAIN[_format_level.get(self._format_key, 0)]

    @property
    def _format_key(self) -> tuple[str, str]:
        return (self.endpoint, self.config.model)

    def complete(self, messages: Sequence[Message], *, json_schema: Mapping[str, Any] | None = None) -> ChatReply:
        """Send ``messages`` and return the reply text and its token counts.

        Args:
            messages: Chat messages (``role`` and ``content``).
            json_schema: Ask for structured output matching this named schema
                (``{"name": ..., "schema": ...}``), as far as the server supports it.

        Raises:
            ContextLengthError: The prompt plus ``max_tokens`` do not fit the model's context.
            OptimizerError: The endpoint failed after all retries, rejected the request,
                or rejected the key; the message says what to check.
        """
        if json_schema is None:
            return self._with_retries(messages, None)
        while True:
            mode = self.structured_format
            try:
                return self._with_retries(messages, _response_format(mode, json_schema))
            except openai.APIStatusError as exc:  # only format rejections come out of _with_retries
                logger.info("%s rejected response_format %s (HTTP %s); trying the next", self.endpoint, mode, exc.status_code)
                with _format_lock:
                    _format_level[self._format_key] = FORMAT_CHAIN.index(mode) + 1

    def _with_retries(self, messages: Sequence[Message], response_format: dict[str, Any] | None) -> ChatReply:
        attempts = self.config.max_retries + 1
        attempt = timeouts = 1
        while True:
            try:
                return self._call(messages, response_format)
            except openai.APIStatusError as exc:
                if _context_exceeded(exc):
                    raise self._context_failure(exc) from None
                if response_format is not None and _rejects_format(exc):
                    raise  # complete() moves down the format chain
                if not isinstance(exc, RETRYABLE) or attempt == attempts:
                    raise self._failure(exc, attempts=attempt) from None
                self._wait(exc, attempt, attempts)
            except openai.APITimeoutError as exc:
                if attempt == attempts or timeouts > MAX_TIMEOUT_RETRIES:
                    raise self._failure(exc, attempts=attempt) from None
                timeouts += 1
                self._wait(exc, attempt, attempts)
            except RETRYABLE as exc:  # connection failures
                if attempt == attempts:
                    raise self._failure(exc, attempts=attempt) from None
                self._wait(exc, attempt, attempts)
            except openai.APIError as exc:  # malformed responses will not heal on retry
                raise self._failure(exc, attempts=attempt) from None
            attempt += 1

    def _wait(self, exc: Exception, attempt: int, attempts: int) -> None:
        delay = self._delay(exc, attempt - 1)
        kind = _kind(exc)
        with self._lock:  # concurrent requests (an executor's) hit the same failure: warn once per kind
            first = kind not in self._warned
            self._warned.add(kind)
        level = logging.WARNING if first else logging.DEBUG
        more = " (further retries of this kind at debug level)" if first else ""
        logger.log(level, "%s %s: %s; retry %d/%d in %.2fs%s", self.advice.what, self.endpoint, kind, attempt, attempts - 1, delay, more)
        time.sleep(delay)

    def _call(self, messages: Sequence[Message], response_format: dict[str, Any] | None) -> ChatReply:
        extra: dict[str, Any] = {"response_format": response_format} if response_format else {}
        response = self._client.chat.completions.create(
            model=self.config.model,
            messages=[dict(m) for m in messages],  # type: ignore[misc]
            temperature=self.config.temperature,
            max_tokens=self.config.max_tokens,
            **extra,
        )
        choice = response.choices[0] if response.choices else None
        usage = response.usage
        reply = ChatReply(
            content=(choice.message.content if choice else None) or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            truncated=choice is not None and choice.finish_reason == "length",
        )
        with self._lock:
            self.usage.add(calls=1, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
        return reply

    def _delay(self, exc: Exception, attempt: int) -> float:
        retry_after = _retry_after(exc)
        delay = retry_after if retry_after is not None else self.backoff_s * 2**attempt
        return min(delay, self.max_backoff_s)

    def _failure(self, exc: Exception, *, attempts: int) -> OptimizerError:
        advice = self.advice
        where = f"{advice.what} {self.endpoint} (model {self.config.model!r})"
        tries = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
        if isinstance(exc, openai.APITimeoutError):
            message = (
                f"{advice.what} request timed out after {self.config.timeout_s:g}s at {self.endpoint} {tries}; "
                f"check that the server is up and not overloaded, or raise {advice.timeout}"
            )
        elif isinstance(exc, openai.APIConnectionError) and isinstance(exc.__cause__, refusal_type(_http_library())):
            message = f"{where} was not called: {exc.__cause__}"  # the operator's allow-list refused the address
        elif isinstance(exc, openai.APIConnectionError):
            message = f"could not connect to {where} {tries}; check {advice.url}, {advice.otherwise}"
        elif isinstance(exc, openai.RateLimitError):
            message = f"{where} is still rate-limiting (HTTP 429) {tries}; wait, lower concurrency, or raise max_retries"
        elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            message = f"{where} rejected the API key (HTTP {exc.status_code}); check {advice.key}"
        elif isinstance(exc, openai.APIStatusError):
            message = f"{where} failed with HTTP {exc.status_code} {tries}: {self._server_message(exc)}"
            if exc.status_code == 404:
                message += "; check the base URL (it usually ends in /v1) and the model name"
        else:
            message = f"{where} failed {tries}: {self._redact(str(exc)) if self.config.quote_errors else type(exc).__name__}"
        return OptimizerError(message, retry_after=_retry_after(exc))

    def _context_failure(self, exc: openai.APIStatusError) -> ContextLengthError:
        return ContextLengthError(
            f"the prompt does not fit the context of model {self.config.model!r} at {self.endpoint} "
            f"with max_tokens={self.config.max_tokens} (HTTP {exc.status_code}: {self._server_message(exc)}); "
            "use a smaller batch size or credit horizon, lower max_tokens, or a model with a larger context"
        )

    def _server_message(self, exc: openai.APIStatusError) -> str:
        if not self.config.quote_errors:
            return WITHHELD
        body = exc.body
        text = str(body["message"]) if isinstance(body, dict) and "message" in body else exc.message
        return self._redact(text)[:MAX_ERROR_CHARS]

    def _redact(self, text: str) -> str:
        key = self.config.api_key
        return text.replace(key, "***") if key else text


def _transport(config: LLMConfig) -> Any:
    """A transport that checks every connection against the operator's allow-list, when the config carries one."""
    return None if config.outbound_allow is None else pinned_transport(OutboundPolicy(config.outbound_allow), _http_library())


def _http_library() -> ModuleType:
    """The httpx-like library the openai client is built on (``httpx``; ``httpx2`` in newer releases)."""
    return importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.partition(".")[0])


def _response_format(mode: str, json_schema: Mapping[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"strict": True, **json_schema}}
    if mode == "json_object_schema":  # llama-cpp-python's own form, enforced by a grammar
        return {"type": "json_object", "schema": json_schema["schema"]}
    return {"type": "json_object"} if mode == "json_object" else None


def _error_text(exc: openai.APIStatusError) -> str:
    return f"{exc.message} {exc.body}"


def _context_exceeded(exc: openai.APIStatusError) -> bool:
    return bool(CONTEXT_EXCEEDED.search(_error_text(exc)))


def _rejects_format(exc: openai.APIStatusError) -> bool:
    return bool(NAMES_FORMAT.search(_error_text(exc))) or exc.status_code in REJECTED_STATUSES


def _kind(exc: Exception) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return "timed out" if isinstance(exc, openai.APITimeoutError) else "connection failed"


def _retry_after(exc: Exception) -> float | None:
    """Seconds from a ``Retry-After`` (or ``retry-after-ms``) header; ``None`` if absent or a date."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(float(value) / divisor, 0.0)
        except ValueError:
            return None  # an HTTP date: fall back to our own backoff
    return None
