"""Tasks: the problems a learning loop optimizes for; families register by name."""

from autoloop.tasks._base import Metric, Task
from autoloop.tasks._registry import (
    ENTRY_POINT_GROUP,
    TaskFamily,
    TaskInfo,
    describe_task,
    get_task,
    register_task,
    task_families,
    task_names,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Metric",
    "Task",
    "TaskFamily",
    "TaskInfo",
    "describe_task",
    "get_task",
    "register_task",
    "task_families",
    "task_names",
]
