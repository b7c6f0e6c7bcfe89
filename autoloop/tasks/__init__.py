"""Tasks: the problems a learning loop optimizes for; families register by name."""

from autoloop.tasks._base import Metric, Task
from autoloop.tasks._registry import (
    DATA_ENV,
    ENTRY_POINT_GROUP,
    PLUGINS_ENV,
    TASK_NAME_PATTERN,
    TaskFamily,
    TaskInfo,
    check_options,
    describe_task,
    get_task,
    load_plugins,
    register_task,
    task_catalog,
    task_families,
    task_names,
    task_options,
)

__all__ = [
    "DATA_ENV",
    "ENTRY_POINT_GROUP",
    "PLUGINS_ENV",
    "TASK_NAME_PATTERN",
    "Metric",
    "Task",
    "TaskFamily",
    "TaskInfo",
    "check_options",
    "describe_task",
    "get_task",
    "load_plugins",
    "register_task",
    "task_catalog",
    "task_families",
    "task_names",
    "task_options",
]
