"""LLM endpoint settings: any OpenAI-compatible server (``Endpoint.from_env`` reads the environment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autoloop.errors import ConfigError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_MAX_TOKENS = 1024
# How the optimizer asks for code: a JSON object, or one fenced block per changed parameter.
AnswerFormat = Literal["json", "fenced"]
ANSWER_FORMATS: tuple[AnswerFormat, ...] = ("json", "fenced")


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to call an OpenAI-compatible chat endpoint.

    Args:
        model: Model name the server knows.
        base_url: Server URL (``None`` = the openai package default, api.openai.com).
        api_key: Bearer key; never logged or echoed.
        timeout_s: Per-request timeout.
        max_retries: Retries on 429, 5xx and connection failures, with exponential backoff
            (a timeout is retried once at most: the server may still be busy with it).
        max_parse_retries: Retries when the reply is not in the answer format asked for.
        temperature: Sampling temperature.
        max_tokens: Completion tokens at most, always sent (servers without it generate
            until the context ends).
        answer_format: ``json`` (one JSON object, structured output where supported) or
            ``fenced`` (reasoning as text, one fenced code block per changed parameter).
        context_window: Tokens the model's context holds, prompt and reply together (``None``
            = unknown: prompts are not fitted to it, and no setting is judged infeasible).
        quote_errors: Errors quote what the server answered (its error message, cut short).
            The service turns this off: an endpoint's reply, possibly an internal service's
            page, never reaches a study's error text, only the status and a fixed reason.
        outbound_allow: ``None``: connect wherever ``base_url`` points. A tuple: the operator's
            allow-list for a tenant's endpoint (see ``OutboundPolicy``); every connection goes
            to a public address, or one the list allows, checked as it is made.
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 4
    max_parse_retries: int = 2
    temperature: float = 0.7
    max_tokens: int = DEFAULT_MAX_TOKENS
    answer_format: AnswerFormat = "json"
    context_window: int | None = None
    quote_errors: bool = True
    outbound_allow: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ConfigError(f"LLM timeout_s must be > 0, got {self.timeout_s=}")
        if self.max_retries < 0 or self.max_parse_retries < 0:
            raise ConfigError("LLM max_retries and max_parse_retries must be >= 0")
        if not 0 <= self.temperature <= 2:
            raise ConfigError(f"LLM temperature must be in [0, 2], got {self.temperature=}")
        if self.max_tokens < 1:
            raise ConfigError(f"LLM max_tokens must be >= 1, got {self.max_tokens=}")
        if self.answer_format not in ANSWER_FORMATS:
            raise ConfigError(f"LLM answer_format must be one of {ANSWER_FORMATS}, got {self.answer_format=}")
        if self.context_window is not None and self.context_window <= self.max_tokens:
            raise ConfigError(
                f"LLM context_window must exceed max_tokens, got {self.context_window=} {self.max_tokens=}; "
                "lower max_tokens or give the model's real context size"
            )

    def __repr__(self) -> str:  # keep keys out of logs and tracebacks
        key = "set" if self.api_key else "unset"
        return f"LLMConfig(model={self.model!r}, base_url={self.base_url!r}, api_key={key})"

    @property
    def configured(self) -> bool:
        """True when an endpoint or key was given: enough to try a real call."""
        return bool(self.base_url or self.api_key)

    def require(self, purpose: str) -> LLMConfig:
        """Return self, or raise naming the settings to provide for ``purpose``."""
        if not self.configured:
            raise ConfigError(
                f"{purpose} needs an LLM endpoint: set OPENAI_BASE_URL (and OPENAI_API_KEY) or "
                "AUTOLOOP_LLM_BASE_URL / AUTOLOOP_LLM_API_KEY / AUTOLOOP_LLM_MODEL"
            )
        return self

