"""RunTemplate: what every run of a study shares, resolved once where the study is created.

``resolve_template`` is the one place that reads the environment for a study (the LLM
endpoint, the optimizer's default, the task's options such as the Atari protocol, the data
directory); the controller stamps every job from the template, so all runs of a study use
the same optimizer, endpoint and task options whichever worker runs them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from autoloop.errors import ConfigError
from autoloop.executors._job import LoopJob
from autoloop.llm import Endpoint
from autoloop.optimizers import check_optimizer, default_optimizer_name
from autoloop.settings import LoopSettings
from autoloop.tasks import DATA_ENV, Task, get_task, task_options

# Where secrets sit in a template's task options: the value of any key of this name is a reference.
KEY_REF = "api_key_ref"


class RunTemplate(BaseModel):
    """The run-independent part of a ``LoopJob``, frozen.

    Args:
        task: Registered task name.
        data_dir: Task data reference, a directory or a file (``None`` = the task needs none).
        task_options: The task's resolved options (the family's and the caller's, checked).
        optimizer: Optimizer name, never left to the workers.
        endpoint: The optimizer's LLM endpoint, its key by reference.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str = Field(min_length=1)
    data_dir: str | None
    task_options: dict[str, Any]
    optimizer: str = Field(min_length=1)
    endpoint: Endpoint

    def job(self, run_id: str, settings: dict[str, Any], *, score_test: bool) -> LoopJob:
        """The job of one run: this template plus its id, settings and ``score_test``.

        ``LoopSettings`` defaults fill the settings not given, here, so the job names them all.
        """
        complete = LoopSettings.from_dict(settings).to_dict()
        return LoopJob(run_id=run_id, settings=complete, score_test=score_test, **dict(self))

    def build_task(self) -> Task:
        """The task, built here as the workers build it."""
        return get_task(self.task, data_dir=self.data_dir, options=self.task_options)

    def with_key_refs(self, swap: Callable[[str], str]) -> RunTemplate:
        """A copy with every secret reference ``r`` replaced by ``swap(r)`` (e.g. ``env:`` by ``secret:``)."""
        endpoint = self.endpoint
        if endpoint.api_key_ref is not None:
            endpoint = endpoint.model_copy(update={"api_key_ref": swap(endpoint.api_key_ref)})
        return self.model_copy(update={"endpoint": endpoint, "task_options": _map_refs(self.task_options, swap)})


def public_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` without secret references: what a result may show."""
    return {k: public_options(v) if isinstance(v, dict) else v for k, v in options.items() if k != KEY_REF}


def _map_refs(value: Any, swap: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: swap(v) if k == KEY_REF and v is not None else _map_refs(v, swap) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_refs(v, swap) for v in value]
    return value


def resolve_template(
    task: str,
    *,
    data_dir: str | None = None,
    options: dict[str, Any] | None = None,
    optimizer: str | None = None,
    endpoint: Endpoint | None = None,
) -> RunTemplate:
    """Resolve everything runs of ``task`` share, reading the environment once, here.

    Args:
        task: Registered task name.
        data_dir: Data directory or file (``None`` = ``$AUTOLOOP_DATA``, if set).
        options: Task options the caller gave (e.g. a CSV's ``target``), checked here
            against the data before any run starts.
        optimizer: Optimizer name (``None`` = ``llm`` if ``endpoint`` is configured, else ``local``).
        endpoint: The optimizer's endpoint (``None`` = ``Endpoint.from_env()``).

    Raises:
        UnknownNameError: Unknown task or optimizer.
        ConfigError: ``llm`` without an endpoint, or a task option that is malformed or unknown.
        DataError: The data is missing or lacks what the options name (e.g. the target column).
    """
    endpoint = endpoint if endpoint is not None else Endpoint.from_env()
    name = check_optimizer(optimizer or default_optimizer_name(endpoint))
    if name == "llm" and not endpoint.configured:
        raise ConfigError(
            "the llm optimizer needs an LLM endpoint: set OPENAI_BASE_URL (and OPENAI_API_KEY) or "
            "AUTOLOOP_LLM_BASE_URL / AUTOLOOP_LLM_API_KEY, pass --base-url, or choose --optimizer local"
        )
    data = data_dir or os.environ.get(DATA_ENV) or None
    return RunTemplate(
        task=task, data_dir=data, task_options=task_options(task, options, data=data), optimizer=name, endpoint=endpoint,
    )
