"""Prompt tasks: optimize an executor LLM's prompt and answer extractor on any input/target dataset.

Registers the ``prompt`` family: ``autoloop run prompt:<name> --data <file.jsonl>`` runs on a
``.jsonl`` file of ``{"input": ..., "target": ...}`` objects or a ``.csv`` file with ``input``
and ``target`` columns; ``<name>`` is a label of your choosing (letters, digits, ``_.-``).
The artifact is a ``prompt()`` (the executor's system message) plus an
``extract_answer(response)`` that runs confined; this process matches its answer against the
target (task option ``match``: ``exact``, the default, ``fuzzy`` or ``numeric``; see
``autoloop.tasks.prompt._match``). Splits: a seeded shuffle of the file (task option
``split_seed``, default 0), then 15 train, 10 val, 40 revalidation held back from the test
pool (at most half of it) and the rest test (``n_train``, ``n_val``, ``n_revalidation``,
``n_test``). The executor endpoint comes from ``AUTOLOOP_EXECUTOR_*`` (falling back to the
optimizer's ``OPENAI_*`` settings), read where the run or study is created. BBEH
(``autoloop.tasks.bbeh``) is an instance of this family with its own data layout and ``fuzzy`` matching.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from autoloop.errors import ConfigError, DataError
from autoloop.tasks._registry import TaskFamily, TaskInfo, register_task
from autoloop.tasks.prompt._data import Example, load_dataset, parse_examples, split_examples
from autoloop.tasks.prompt._executor import (
    Completion,
    ExecutorLLM,
    executor_concurrency,
    executor_endpoint,
    require_executor,
)
from autoloop.tasks.prompt._fuzzy import extract_final_answer, fuzzy_match, is_correct
from autoloop.tasks.prompt._match import MATCH_MODES, MatchMode, check_match, exact_match, matches, numeric_match, parse_number
from autoloop.tasks.prompt._options import PromptOptions
from autoloop.tasks.prompt._task import PromptTask, prompt_background

__all__ = [
    "MATCH_MODES",
    "Completion",
    "Example",
    "ExecutorLLM",
    "MatchMode",
    "PromptOptions",
    "PromptTask",
    "check_match",
    "exact_match",
    "executor_concurrency",
    "executor_endpoint",
    "extract_final_answer",
    "fuzzy_match",
    "is_correct",
    "load_dataset",
    "matches",
    "numeric_match",
    "parse_examples",
    "parse_number",
    "prompt_background",
    "require_executor",
    "split_examples",
]

# As the service's task-name pattern allows after the colon.
_VARIANT = re.compile(r"[A-Za-z0-9_.-]+")


def _check_variant(variant: str) -> None:
    if not _VARIANT.fullmatch(variant):
        raise ConfigError(f"a prompt task is named prompt:<name> with letters, digits, '_', '.' or '-' in <name>, got {variant!r}")


def _options(variant: str) -> dict[str, Any]:
    """The executor endpoint (key by reference) and concurrency from the environment; the other options at their defaults."""
    _check_variant(variant)
    return PromptOptions(executor=executor_endpoint(), concurrency=executor_concurrency()).model_dump()


# The options a caller may give (``--task-option KEY=VALUE``, the API's ``task_options``).
GIVEN_OPTIONS = ("match", "split_seed", "n_train", "n_val", "n_test", "n_revalidation")


def _given(variant: str, given: dict[str, Any], data: Path | None) -> dict[str, Any]:
    """The caller's options, checked and typed (``"5"`` from the command line becomes 5)."""
    unknown = sorted(set(given) - set(GIVEN_OPTIONS))
    if unknown:
        raise ConfigError(f"prompt:{variant} takes the task options {', '.join(GIVEN_OPTIONS)}; drop {', '.join(unknown)}")
    parsed = PromptOptions.parse(f"prompt:{variant}", {**_options(variant), **given})
    return parsed.model_dump(include=set(given))


def _data_file(name: str, data: Path | None) -> Path:
    if data is None:
        raise DataError(f"{name} needs its data: pass --data FILE.jsonl (or .csv) of input/target pairs")
    if data.is_dir():
        raise DataError(f"{name} reads one file, and {data} is a folder: pass --data FILE.jsonl (or .csv)")
    return data


def _create(variant: str, data_dir: Path | None, options: dict[str, Any]) -> PromptTask:
    _check_variant(variant)
    name = f"prompt:{variant}"
    parsed = PromptOptions.parse(name, options)
    # The endpoint is checked first, so a run without one stops before any other work.
    executor = ExecutorLLM(parsed.executor.to_config(), concurrency=parsed.concurrency)
    examples = load_dataset(_data_file(name, data_dir))
    splits = split_examples(
        examples, n_train=parsed.n_train, n_val=parsed.n_val, n_test=parsed.n_test, n_revalidation=parsed.n_revalidation, seed=parsed.split_seed
    )
    return PromptTask(name, splits, executor=executor, match=parsed.match)


def _describe(variant: str) -> TaskInfo:
    _check_variant(variant)
    return TaskInfo.of(PromptTask)


FAMILY = register_task(TaskFamily("prompt", (), _create, _describe, open_variants=True, options=_options, given=_given))
