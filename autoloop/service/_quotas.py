"""Quotas per tenant, checked when a study is submitted, before anything is stored or read.

- studies queued or running at once (``AUTOLOOP_MAX_STUDIES``): over it, 429 until one ends;
- settings in a study's space (``AUTOLOOP_MAX_SETTINGS``): counted from the request, before a
  single combination is built, 422;
- the LLM request timeout (``AUTOLOOP_MAX_LLM_TIMEOUT_S``): a study asking for more gets 422, a
  study asking for none gets at most this; so a run waits on a hanging endpoint for a bounded time;
- data bytes (``AUTOLOOP_MAX_DATA_MB``): checked by ``DataAccess`` as it resolves ``data_dir``;
- loop runs running at once (``AUTOLOOP_MAX_RUNS``): published in Redis for the workers, which
  enforce it when they take a run (``autoloop.executors.RunSlots``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoloop.controller import SearchSpace
from autoloop.errors import ConfigError, QuotaError
from autoloop.executors import RunSlots
from autoloop.service._operator import OperatorSettings

if TYPE_CHECKING:
    import redis

    from autoloop.llm import Endpoint
    from autoloop.service._models import LLMOptions
    from autoloop.tasks import TaskInfo


def check_active_studies(active: int, settings: OperatorSettings) -> None:
    """Refuse a new study while the tenant has ``max_studies`` (``active``) queued or running.

    Raises:
        QuotaError: (429) At the limit.
    """
    if active >= settings.max_studies:
        raise QuotaError(
            f"you have {active} studies queued or running, this service's limit (AUTOLOOP_MAX_STUDIES={settings.max_studies}); "
            "wait for one to finish or cancel one (DELETE /v1/studies/{id}), then submit again"
        )


def check_space_size(info: TaskInfo, spec: str | None, settings: OperatorSettings) -> None:
    """Refuse a space of more than ``max_settings`` settings, counted without building it.

    Raises:
        ConfigError: (422) Too many settings, or a malformed space (named ``space``).
    """
    try:
        size = SearchSpace.count(info, spec)
    except ConfigError as exc:
        raise ConfigError(f"space: {exc}") from None
    if size > settings.max_settings:
        raise ConfigError(
            f"space: {size} settings, more than the {settings.max_settings} one study may search on this service "
            "(AUTOLOOP_MAX_SETTINGS); give fewer values per knob"
        )


def bounded_timeout(endpoint: Endpoint, options: LLMOptions, settings: OperatorSettings) -> Endpoint:
    """``endpoint`` with its request timeout within ``max_llm_timeout_s``.

    Raises:
        ConfigError: (422) The study asked for a longer timeout (``llm.timeout_s``).
    """
    ceiling = settings.max_llm_timeout_s
    if options.timeout_s is not None and options.timeout_s > ceiling:
        raise ConfigError(f"llm.timeout_s: at most {ceiling:g} s on this service (AUTOLOOP_MAX_LLM_TIMEOUT_S); ask for less")
    return endpoint.tuned({"timeout_s": ceiling}) if endpoint.timeout_s > ceiling else endpoint


def publish_run_cap(client: redis.Redis, settings: OperatorSettings) -> None:
    """Tell the workers (through Redis) how many runs of one tenant may run at once."""
    RunSlots(client).set_cap(settings.max_runs)
