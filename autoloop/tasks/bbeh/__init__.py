"""BIG-Bench Extra Hard: optimize an executor LLM's prompt and answer extractor (the batch-size study).

An instance of the prompt family (``autoloop.tasks.prompt``) with BBEH's own data layout,
dataset-order splits and ``fuzzy`` matching (BBEH's official rules). Registers the ``bbeh``
family. The paper's eight tasks are declared; any other BBEH task in the data folder loads
too (``bbeh:<task>``). Building a task needs an executor endpoint
(``AUTOLOOP_EXECUTOR_*`` or the optimizer's ``OPENAI_*`` settings, read where the study or run
is created and carried by every job as the task options ``executor`` and ``concurrency``) and
the data folder (``--data`` or ``AUTOLOOP_DATA``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autoloop.errors import ConfigError
from autoloop.llm import Endpoint
from autoloop.tasks._registry import TaskFamily, TaskInfo, check_options, register_task
from autoloop.tasks.bbeh._data import PAPER_TASKS, check_variant, load_examples, split_examples, task_dir
from autoloop.tasks.bbeh._task import UPDATES, BBEHTask
from autoloop.tasks.prompt import (
    Completion,
    Example,
    ExecutorLLM,
    executor_concurrency,
    executor_endpoint,
    extract_final_answer,
    fuzzy_match,
    is_correct,
    require_executor,
)

__all__ = [
    "PAPER_TASKS",
    "UPDATES",
    "BBEHTask",
    "Completion",
    "Example",
    "ExecutorLLM",
    "executor_concurrency",
    "executor_endpoint",
    "extract_final_answer",
    "fuzzy_match",
    "is_correct",
    "load_examples",
    "require_executor",
    "split_examples",
    "task_dir",
]


def _options(variant: str) -> dict[str, Any]:
    """The executor endpoint (key by reference) and concurrency, from the environment."""
    check_variant(variant)
    return {"executor": executor_endpoint().model_dump(), "concurrency": executor_concurrency()}


def _create(variant: str, data_dir: Path | None, options: dict[str, Any]) -> BBEHTask:
    check_variant(variant)
    check_options(f"bbeh:{variant}", options, ("concurrency", "executor"))
    try:
        endpoint = Endpoint.model_validate(options["executor"])
    except ValidationError as exc:
        raise ConfigError(f"bbeh:{variant}: malformed task option 'executor': {exc}") from None
    # The endpoint is checked first, so a run without one stops before any other work.
    executor = ExecutorLLM(endpoint.to_config(), concurrency=options["concurrency"])
    return BBEHTask(variant, data_dir, executor=executor)


def _describe(variant: str) -> TaskInfo:
    check_variant(variant)
    return TaskInfo.of(BBEHTask)


FAMILY = register_task(TaskFamily("bbeh", PAPER_TASKS, _create, _describe, open_variants=True, options=_options))
