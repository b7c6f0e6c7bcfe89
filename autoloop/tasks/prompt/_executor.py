"""The executor LLM: answers a prompt task's inputs under a candidate prompt, concurrently and cached.

Its endpoint is configured apart from the optimizer's (``AUTOLOOP_EXECUTOR_*``), falling back
to the optimizer's endpoint (``AUTOLOOP_LLM_*`` / ``OPENAI_*``) for anything not set; its
request settings (``AUTOLOOP_EXECUTOR_TIMEOUT_S``, ``_MAX_RETRIES``, ``_TEMPERATURE``,
``_MAX_TOKENS``) have defaults of their own. Those variables are read where a study or run is
planned (``executor_endpoint``); jobs carry the result.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from autoloop.errors import ConfigError, OptimizerError
from autoloop.llm import Endpoint, LLMConfig, Usage, secret_ref, settings_from_env
from autoloop.tasks.prompt._cache import CachedReply, ReplyCache, cache_key, default_cache_dir

ENV_MODEL = "AUTOLOOP_EXECUTOR_MODEL"
ENV_BASE_URL = "AUTOLOOP_EXECUTOR_BASE_URL"
ENV_API_KEY = "AUTOLOOP_EXECUTOR_API_KEY"
ENV_CONCURRENCY = "AUTOLOOP_EXECUTOR_CONCURRENCY"
ENV_PREFIX = "AUTOLOOP_EXECUTOR_"
DEFAULT_TEMPERATURE = 0.0
DEFAULT_TIMEOUT_S = 300.0  # answers to hard questions (BBEH) come after long reasoning
DEFAULT_MAX_TOKENS = 512  # reasoning plus a final answer; uncapped, small models ramble until the context ends
DEFAULT_CONCURRENCY = 8
NO_ENDPOINT = (
    "prompt tasks (bbeh:, prompt:) call an executor LLM, and no endpoint is configured: set "
    f"{ENV_BASE_URL} (with {ENV_MODEL} and, if needed, {ENV_API_KEY}), or OPENAI_BASE_URL / "
    "OPENAI_API_KEY (AUTOLOOP_LLM_BASE_URL / AUTOLOOP_LLM_API_KEY), which the optimizer shares"
)


def executor_endpoint() -> Endpoint:
    """The executor's endpoint: ``AUTOLOOP_EXECUTOR_*`` variables over the optimizer's settings.

    Read where a study or run is planned, once; by default sampling at temperature 0, requests
    may take up to 300 s and 512 completion tokens (``AUTOLOOP_EXECUTOR_TEMPERATURE``,
    ``_TIMEOUT_S``, ``_MAX_TOKENS``, ``_MAX_RETRIES`` change them); the key is referenced
    (``env:AUTOLOOP_EXECUTOR_API_KEY`` or the optimizer's).

    Raises:
        ConfigError: No endpoint or key is configured, or a setting variable is malformed.
    """
    shared = Endpoint.from_env()
    own_key = os.environ.get(ENV_API_KEY)
    endpoint = shared.model_copy(update={
        "model": os.environ.get(ENV_MODEL) or shared.model,
        "base_url": os.environ.get(ENV_BASE_URL) or shared.base_url,
        "api_key_ref": secret_ref("env", ENV_API_KEY) if own_key else shared.api_key_ref,
        "temperature": DEFAULT_TEMPERATURE,
        "timeout_s": DEFAULT_TIMEOUT_S,
        "max_tokens": DEFAULT_MAX_TOKENS,
    })
    if not endpoint.configured:
        raise ConfigError(NO_ENDPOINT)
    return endpoint.tuned(settings_from_env(ENV_PREFIX, os.environ))


def executor_concurrency() -> int:
    """``$AUTOLOOP_EXECUTOR_CONCURRENCY``, or the default, checked.

    Raises:
        ConfigError: Not a whole number >= 1.
    """
    raw = os.environ.get(ENV_CONCURRENCY) or str(DEFAULT_CONCURRENCY)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{ENV_CONCURRENCY} must be a whole number >= 1, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{ENV_CONCURRENCY} must be a whole number >= 1, got {raw!r}")
    return value


def require_executor(config: LLMConfig) -> LLMConfig:
    """Return ``config``, or raise naming the settings that configure the executor.

    Raises:
        ConfigError: No endpoint or key is configured.
    """
    if not config.configured:
        raise ConfigError(NO_ENDPOINT)
    return config


@dataclass(frozen=True)
class Completion:
    """The executor's reply to one question, with what it cost and whether the cache served it."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool


class ExecutorLLM:
    """Answers questions under a prompt: the prompt as system message, the question as user message.

    Args:
        config: The executor's endpoint, model and temperature (see ``executor_endpoint``).
        concurrency: Requests in flight at most.
        cache_dir: Folder of the reply cache (default ``$AUTOLOOP_CACHE_DIR`` or ``~/.cache/autoloop``).

    Attributes:
        cache_hits: Replies served from the cache.
    """

    def __init__(self, config: LLMConfig, *, concurrency: int = DEFAULT_CONCURRENCY, cache_dir: Path | None = None) -> None:
        self.config = require_executor(config)
        self.concurrency = concurrency
        if self.concurrency < 1:
            raise ConfigError(f"executor concurrency must be >= 1, got {self.concurrency}; check {ENV_CONCURRENCY}")
        self.cache = ReplyCache(cache_dir or default_cache_dir())
        self.cache_hits = 0
        from autoloop.llm import ChatClient  # openai loads with the first executor, not with the task registry

        self._client = ChatClient(config, role="executor")
        self._lock = threading.Lock()

    @property
    def usage(self) -> Usage:
        """Requests actually sent and their tokens; cache hits cost nothing and are not counted."""
        return self._client.usage

    def reset_counts(self) -> None:
        """Start ``usage`` and ``cache_hits`` from zero (a task reused for another run does)."""
        with self._lock:
            self.cache_hits = 0
            self._client.usage = Usage()

    def complete(self, prompt: str, questions: Sequence[str]) -> list[Completion]:
        """Answer every question under ``prompt``, in order, up to ``concurrency`` at a time.

        Raises:
            OptimizerError: The endpoint failed after its retries (an infrastructure failure).
        """
        if len(questions) <= 1:
            return [self._complete_one(prompt, q) for q in questions]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(questions)), thread_name_prefix="prompt-executor") as pool:
            return list(pool.map(lambda q: self._complete_one(prompt, q), questions))

    def _complete_one(self, prompt: str, question: str) -> Completion:
        key = cache_key(model=self.config.model, prompt=prompt, question=question, temperature=self.config.temperature)
        hit = self.cache.get(key)
        if hit is not None:
            with self._lock:
                self.cache_hits += 1
            return Completion(hit.text, hit.prompt_tokens, hit.completion_tokens, cached=True)
        try:
            reply = self._client.complete([{"role": "system", "content": prompt}, {"role": "user", "content": question}])
        except OptimizerError as exc:
            raise OptimizerError(
                f"the executor LLM failed ({exc}); the executor is set by {ENV_BASE_URL}, {ENV_MODEL} "
                f"and {ENV_API_KEY}, falling back to the optimizer's settings",
                retry_after=exc.retry_after,
            ) from exc
        self.cache.put(key, CachedReply(reply.content, reply.prompt_tokens, reply.completion_tokens))
        return Completion(reply.content, reply.prompt_tokens, reply.completion_tokens, cached=False)
