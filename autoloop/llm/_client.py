"""ChatClient: one chat call to an OpenAI-compatible endpoint, with bounded retries and token counts.

Shared by the ``llm`` optimizer and by tasks whose artifact is a prompt (BBEH). It retries
429, 5xx, timeouts and connection failures with exponential backoff (honouring a capped
``Retry-After``), asks for structured output when given a JSON schema and falls back to
plain prompting once if the server rejects ``response_format``, counts tokens into a
``Usage``, and turns every failure into an ``OptimizerError`` that names the endpoint and
the fix. The API key is never logged or echoed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from autoloop.errors import ConfigError, OptimizerError
from autoloop.llm._config import LLMConfig
from autoloop.llm._usage import Usage

logger = logging.getLogger(__name__)

# A key is required by the openai client even for local servers that ignore it.
PLACEHOLDER_KEY = "not-needed"
MAX_ERROR_CHARS = 300

# Transient failures worth retrying: rate limits, server errors, timeouts, refused connections.
RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)
# Statuses with which servers reject a ``response_format`` they do not support.
REJECTED_FORMAT = (openai.BadRequestError, openai.UnprocessableEntityError)

Message = Mapping[str, str]


@dataclass(frozen=True)
class ChatReply:
    """The text of one completion and the tokens the server reported for it."""

    content: str
    prompt_tokens: int
    completion_tokens: int


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
        structured: ``False`` once the server rejected ``response_format``; then plain prompting is used.
    """

    def __init__(self, config: LLMConfig, *, backoff_s: float = 1.0, max_backoff_s: float = 30.0) -> None:
        if backoff_s < 0 or max_backoff_s < 0:
            raise ConfigError(f"backoff_s and max_backoff_s must be >= 0, got {backoff_s=} {max_backoff_s=}")
        self.config = config
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.usage = Usage()
        self.structured = True
        self._lock = threading.Lock()
        self._client = openai.OpenAI(
            base_url=config.base_url,
            api_key=config.api_key or PLACEHOLDER_KEY,
            timeout=config.timeout_s,
            max_retries=0,  # retries are ours: bounded, logged, with a clear final error
        )
        self.endpoint = str(self._client.base_url).rstrip("/")

    def complete(self, messages: Sequence[Message], *, json_schema: Mapping[str, Any] | None = None) -> ChatReply:
        """Send ``messages`` and return the reply text and its token counts.

        Args:
            messages: Chat messages (``role`` and ``content``).
            json_schema: Ask for structured output matching this named schema
                (``{"name": ..., "schema": ...}``) when the server supports it.

        Raises:
            OptimizerError: The endpoint failed after all retries, rejected the request,
                or rejected the key; the message says what to check.
        """
        response_format = None
        if json_schema is not None and self.structured:
            response_format = {"type": "json_schema", "json_schema": {"strict": True, **json_schema}}
        try:
            return self._with_retries(messages, response_format)
        except REJECTED_FORMAT as exc:
            if response_format is None:
                raise self._failure(exc, attempts=1) from None
            logger.info("%s rejected response_format (%s); using plain prompting", self.endpoint, exc.status_code)
            self.structured = False
        try:
            return self._with_retries(messages, None)
        except openai.APIStatusError as exc:
            raise self._failure(exc, attempts=1) from None

    def _with_retries(self, messages: Sequence[Message], response_format: dict[str, Any] | None) -> ChatReply:
        attempts = self.config.max_retries + 1
        attempt = 1
        while True:
            try:
                return self._call(messages, response_format)
            except REJECTED_FORMAT:
                raise  # the caller decides: fall back to plain prompting, or fail
            except RETRYABLE as exc:
                if attempt == attempts:
                    raise self._failure(exc, attempts=attempts) from None
                delay = self._delay(exc, attempt - 1)
                logger.warning("%s: %s; retry %d/%d in %.2fs", self.endpoint, _kind(exc), attempt, attempts - 1, delay)
                time.sleep(delay)
                attempt += 1
            except openai.APIError as exc:  # other statuses and malformed responses will not heal on retry
                raise self._failure(exc, attempts=attempt) from None

    def _call(self, messages: Sequence[Message], response_format: dict[str, Any] | None) -> ChatReply:
        extra: dict[str, Any] = {"response_format": response_format} if response_format else {}
        response = self._client.chat.completions.create(
            model=self.config.model,
            messages=[dict(m) for m in messages],  # type: ignore[misc]
            temperature=self.config.temperature,
            **extra,
        )
        content = response.choices[0].message.content if response.choices else None
        usage = response.usage
        reply = ChatReply(
            content=content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )
        with self._lock:
            self.usage.add(calls=1, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
        return reply

    def _delay(self, exc: Exception, attempt: int) -> float:
        retry_after = _retry_after(exc)
        delay = retry_after if retry_after is not None else self.backoff_s * 2**attempt
        return min(delay, self.max_backoff_s)

    def _failure(self, exc: Exception, *, attempts: int) -> OptimizerError:
        where = f"LLM endpoint {self.endpoint} (model {self.config.model!r})"
        tries = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
        if isinstance(exc, openai.APITimeoutError):
            message = (
                f"LLM request timed out after {self.config.timeout_s:g}s at {self.endpoint} {tries}; "
                "check that the server is up and not overloaded, or raise the LLM timeout (timeout_s)"
            )
        elif isinstance(exc, openai.APIConnectionError):
            message = (
                f"could not connect to {where} {tries}; check AUTOLOOP_LLM_BASE_URL / OPENAI_BASE_URL, "
                "or run with the offline optimizer (--optimizer local)"
            )
        elif isinstance(exc, openai.RateLimitError):
            message = f"{where} is still rate-limiting (HTTP 429) {tries}; wait, lower concurrency, or raise max_retries"
        elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            message = f"{where} rejected the API key (HTTP {exc.status_code}); check AUTOLOOP_LLM_API_KEY / OPENAI_API_KEY"
        elif isinstance(exc, openai.APIStatusError):
            message = f"{where} failed with HTTP {exc.status_code} {tries}: {self._server_message(exc)}"
            if exc.status_code == 404:
                message += "; check the base URL (it usually ends in /v1) and the model name"
        else:
            message = f"{where} failed {tries}: {self._redact(str(exc))}"
        return OptimizerError(message, retry_after=_retry_after(exc))

    def _server_message(self, exc: openai.APIStatusError) -> str:
        body = exc.body
        text = str(body["message"]) if isinstance(body, dict) and "message" in body else exc.message
        return self._redact(text)[:MAX_ERROR_CHARS]

    def _redact(self, text: str) -> str:
        key = self.config.api_key
        return text.replace(key, "***") if key else text


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
