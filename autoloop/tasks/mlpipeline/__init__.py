"""MLAgentBench tasks: ``mlpipeline:spaceship-titanic`` (accuracy) and ``mlpipeline:house-prices`` (RMSE of log price)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoloop.errors import UnknownNameError
from autoloop.tasks._registry import TaskFamily, TaskInfo, check_options, register_task
from autoloop.tasks.mlpipeline._data import DATASETS, make_splits, resolve_data_dir
from autoloop.tasks.mlpipeline._feedback import feedback_text
from autoloop.tasks.mlpipeline._task import TASKS, HousePricesTask, MLPipelineTask, SpaceshipTitanicTask

__all__ = [
    "DATASETS",
    "FAMILY",
    "HousePricesTask",
    "MLPipelineTask",
    "SpaceshipTitanicTask",
    "feedback_text",
    "make_splits",
    "resolve_data_dir",
]


def _task_class(variant: str) -> type[MLPipelineTask]:
    if variant not in TASKS:
        raise UnknownNameError(f"unknown mlpipeline task {variant!r}; choose one of {sorted(TASKS)}")
    return TASKS[variant]


def _create(variant: str, data_dir: Path | None, options: dict[str, Any]) -> MLPipelineTask:
    check_options(f"mlpipeline:{variant}", options, ())
    return _task_class(variant)(data_dir)


def _describe(variant: str) -> TaskInfo:
    return TaskInfo.of(_task_class(variant))


FAMILY = register_task(TaskFamily("mlpipeline", tuple(TASKS), _create, _describe))
