"""LLM endpoint settings: any OpenAI-compatible server (``Endpoint.from_env`` reads the environment)."""

from __future__ import annotations

from dataclasses import dataclass

from autoloop.errors import ConfigError

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to call an OpenAI-compatible chat endpoint.

    Args:
        model: Model name the server knows.
        base_url: Server URL (``None`` = the openai package default, api.openai.com).
        api_key: Bearer key; never logged or echoed.
        timeout_s: Per-request timeout.
        max_retries: Retries on 429, 5xx and timeouts, with exponential backoff.
        max_parse_retries: Retries when the reply is not the JSON asked for.
        temperature: Sampling temperature.
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 4
    max_parse_retries: int = 2
    temperature: float = 0.7

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ConfigError(f"LLM timeout_s must be > 0, got {self.timeout_s=}")
        if self.max_retries < 0 or self.max_parse_retries < 0:
            raise ConfigError("LLM max_retries and max_parse_retries must be >= 0")

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

