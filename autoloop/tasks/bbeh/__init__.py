"""BIG-Bench Extra Hard: optimize an executor LLM's prompt and answer extractor (the batch-size study).

Registers the ``bbeh`` family. The paper's eight tasks are declared; any other BBEH task in
the data folder loads too (``bbeh:<task>``). Building a task needs an executor endpoint
(``AUTOLOOP_EXECUTOR_*`` or the optimizer's ``OPENAI_*`` settings) and the data folder
(``--data`` or ``AUTOLOOP_DATA``).
"""

from __future__ import annotations

from pathlib import Path

from autoloop.tasks._registry import TaskFamily, TaskInfo, register_task
from autoloop.tasks.bbeh._data import PAPER_TASKS, Example, check_variant, load_examples, split_examples, task_dir
from autoloop.tasks.bbeh._executor import Completion, ExecutorLLM, executor_config, require_executor
from autoloop.tasks.bbeh._scoring import extract_final_answer, fuzzy_match, is_correct
from autoloop.tasks.bbeh._task import UPDATES, BBEHTask

__all__ = [
    "PAPER_TASKS",
    "UPDATES",
    "BBEHTask",
    "Completion",
    "Example",
    "ExecutorLLM",
    "executor_config",
    "extract_final_answer",
    "fuzzy_match",
    "is_correct",
    "load_examples",
    "require_executor",
    "split_examples",
    "task_dir",
]


def _create(variant: str, data_dir: Path | None) -> BBEHTask:
    check_variant(variant)
    # The endpoint is checked first, so a run without one stops before any other work.
    executor = ExecutorLLM(executor_config())
    return BBEHTask(variant, data_dir, executor=executor)


def _describe(variant: str) -> TaskInfo:
    check_variant(variant)
    return TaskInfo.of(BBEHTask)


FAMILY = register_task(TaskFamily("bbeh", PAPER_TASKS, _create, _describe, open_variants=True))
