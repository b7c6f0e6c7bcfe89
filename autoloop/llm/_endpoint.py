"""Endpoint: an LLM endpoint as a job carries it, the API key by reference only."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from autoloop.llm._config import DEFAULT_MODEL, LLMConfig
from autoloop.llm._secrets import ENV_SCHEME, resolve_secret, secret_ref

ENV_BASE_URL = ("AUTOLOOP_LLM_BASE_URL", "OPENAI_BASE_URL")
ENV_API_KEY = ("AUTOLOOP_LLM_API_KEY", "OPENAI_API_KEY")
ENV_MODEL = ("AUTOLOOP_LLM_MODEL",)


class Endpoint(BaseModel):
    """Every ``LLMConfig`` field, fixed when a run is planned; the key is a reference (see ``resolve_secret``).

    Args:
        model: Model name the server knows.
        base_url: Server URL (``None`` = the openai package default, api.openai.com).
        api_key_ref: Where the key lives (``env:NAME``, ``secret:ID``), or ``None`` for no key.
        timeout_s: Per-request timeout.
        max_retries: Retries on 429, 5xx and timeouts.
        max_parse_retries: Retries when the reply is not the JSON asked for.
        temperature: Sampling temperature.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    base_url: str | None
    api_key_ref: str | None
    timeout_s: float
    max_retries: int
    max_parse_retries: int
    temperature: float

    @property
    def configured(self) -> bool:
        """True when an endpoint or key was given: enough to try a real call."""
        return bool(self.base_url or self.api_key_ref)

    def to_config(self) -> LLMConfig:
        """The ``LLMConfig`` to call with, its key looked up in this process."""
        values = self.model_dump(exclude={"api_key_ref"})
        return LLMConfig(**values, api_key=resolve_secret(self.api_key_ref))

    @classmethod
    def of(cls, config: LLMConfig, *, api_key_ref: str | None = None) -> Endpoint:
        """``config`` with its key replaced by ``api_key_ref`` (``LLMConfig()`` = no endpoint)."""
        return cls(
            model=config.model, base_url=config.base_url, api_key_ref=api_key_ref, timeout_s=config.timeout_s,
            max_retries=config.max_retries, max_parse_retries=config.max_parse_retries, temperature=config.temperature,
        )

    @classmethod
    def from_env(cls, *, model: str | None = None, base_url: str | None = None, environ: Mapping[str, str] | None = None) -> Endpoint:
        """The endpoint ``AUTOLOOP_LLM_*`` (or ``OPENAI_*``) variables configure; ``model`` and ``base_url`` win when given.

        The key is referenced as ``env:<variable>``: only for the environment's owner (the CLI),
        who may point it at another ``base_url``. The service never calls this with a tenant's URL.
        """
        env = os.environ if environ is None else environ
        key_var = next((name for name in ENV_API_KEY if env.get(name)), None)
        return cls.of(
            LLMConfig(model=model or _first(env, ENV_MODEL) or DEFAULT_MODEL, base_url=base_url or _first(env, ENV_BASE_URL)),
            api_key_ref=secret_ref(ENV_SCHEME, key_var) if key_var else None,
        )


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)
