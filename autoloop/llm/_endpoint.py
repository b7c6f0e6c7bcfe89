"""Endpoint: an LLM endpoint as a job carries it, the API key by reference only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from pydantic import BaseModel, ConfigDict

from autoloop.errors import ConfigError
from autoloop.llm._config import DEFAULT_MODEL, AnswerFormat, LLMConfig
from autoloop.llm._secrets import ENV_SCHEME, resolve_secret, secret_ref

ENV_BASE_URL = ("AUTOLOOP_LLM_BASE_URL", "OPENAI_BASE_URL")
ENV_API_KEY = ("AUTOLOOP_LLM_API_KEY", "OPENAI_API_KEY")
ENV_MODEL = ("AUTOLOOP_LLM_MODEL",)
ENV_PREFIX = "AUTOLOOP_LLM_"
# The request settings a variable ``<prefix><FIELD>`` may set (e.g. AUTOLOOP_LLM_MAX_TOKENS), with their parsers.
TUNABLE: dict[str, type] = {
    "timeout_s": float, "max_retries": int, "max_parse_retries": int, "temperature": float, "max_tokens": int, "answer_format": str,
    "context_window": int,
}


class Endpoint(BaseModel):
    """Every ``LLMConfig`` field, fixed when a run is planned; the key is a reference (see ``resolve_secret``).

    Args:
        model: Model name the server knows.
        base_url: Server URL (``None`` = the openai package default, api.openai.com).
        api_key_ref: Where the key lives (``env:NAME``, ``secret:ID``), or ``None`` for no key.
        timeout_s: Per-request timeout.
        max_retries: Retries on 429, 5xx and connection failures (a timeout once at most).
        max_parse_retries: Retries when the reply is not in the answer format asked for.
        temperature: Sampling temperature.
        max_tokens: Completion tokens at most, sent with every request.
        answer_format: ``json`` or ``fenced`` (see ``LLMConfig``).
        context_window: Tokens the model's context holds (``None`` = unknown; see ``LLMConfig``).
        quote_errors: Errors quote the server's error message (see ``LLMConfig``).
        outbound_allow: The operator's allow-list every connection is checked against (see ``LLMConfig``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    base_url: str | None
    api_key_ref: str | None
    timeout_s: float
    max_retries: int
    max_parse_retries: int
    temperature: float
    max_tokens: int
    answer_format: AnswerFormat
    context_window: int | None = None
    quote_errors: bool = True
    outbound_allow: tuple[str, ...] | None = None

    @property
    def configured(self) -> bool:
        """True when an endpoint or key was given: enough to try a real call."""
        return bool(self.base_url or self.api_key_ref)

    def to_config(self) -> LLMConfig:
        """The ``LLMConfig`` to call with, its key looked up in this process."""
        values = self.model_dump(exclude={"api_key_ref"})
        return LLMConfig(**values, api_key=resolve_secret(self.api_key_ref))

    def tuned(self, settings: Mapping[str, Any]) -> Endpoint:
        """A copy with the request settings in ``settings`` (``TUNABLE`` names; ``None`` values ignored), checked.

        Raises:
            ConfigError: An unknown name or a value ``LLMConfig`` rejects.
        """
        given = {k: v for k, v in settings.items() if v is not None}
        unknown = sorted(set(given) - set(TUNABLE))
        if unknown:
            raise ConfigError(f"unknown LLM setting(s) {unknown}; known: {sorted(TUNABLE)}")
        endpoint = self.model_copy(update=given)
        LLMConfig(**endpoint.model_dump(exclude={"api_key_ref"}))  # checks the values; no key is resolved
        return endpoint

    @classmethod
    def of(cls, config: LLMConfig, *, api_key_ref: str | None = None) -> Endpoint:
        """``config`` with its key replaced by ``api_key_ref`` (``LLMConfig()`` = no endpoint)."""
        values = {f.name: getattr(config, f.name) for f in fields(config) if f.name != "api_key"}
        return cls(**values, api_key_ref=api_key_ref)

    @classmethod
    def from_env(cls, *, model: str | None = None, base_url: str | None = None, environ: Mapping[str, str] | None = None) -> Endpoint:
        """The endpoint ``AUTOLOOP_LLM_*`` (or ``OPENAI_*``) variables configure; ``model`` and ``base_url`` win when given.

        ``AUTOLOOP_LLM_TIMEOUT_S``, ``_MAX_RETRIES``, ``_MAX_PARSE_RETRIES``, ``_TEMPERATURE``,
        ``_MAX_TOKENS``, ``_ANSWER_FORMAT`` and ``_CONTEXT_WINDOW`` set the request settings. The key is referenced
        as ``env:<variable>``: only for the environment's owner (the CLI), who may point it at
        another ``base_url``. The service never calls this with a tenant's URL.

        Raises:
            ConfigError: A setting variable is malformed (the message names it).
        """
        env = os.environ if environ is None else environ
        key_var = next((name for name in ENV_API_KEY if env.get(name)), None)
        endpoint = cls.of(
            LLMConfig(model=model or _first(env, ENV_MODEL) or DEFAULT_MODEL, base_url=base_url or _first(env, ENV_BASE_URL)),
            api_key_ref=secret_ref(ENV_SCHEME, key_var) if key_var else None,
        )
        return endpoint.tuned(settings_from_env(ENV_PREFIX, env))


def settings_from_env(prefix: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The request settings ``<prefix><FIELD>`` variables set, parsed (e.g. ``AUTOLOOP_LLM_MAX_TOKENS=512``).

    Raises:
        ConfigError: A value does not parse; the message names the variable.
    """
    found: dict[str, Any] = {}
    for name, parse in TUNABLE.items():
        variable = prefix + name.upper()
        raw = environ.get(variable)
        if not raw:
            continue
        try:
            found[name] = parse(raw)
        except ValueError:
            raise ConfigError(f"{variable} must be a {parse.__name__}, got {raw!r}") from None
    return found


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)
