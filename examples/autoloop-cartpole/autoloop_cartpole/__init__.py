"""An example autoloop task plug-in that steps a gymnasium environment: ``cartpole:balance``.

Registered through the ``autoloop.tasks`` entry-point group (``pip install
./examples/autoloop-cartpole``), or by naming ``autoloop_cartpole.plugin`` in
``AUTOLOOP_PLUGINS``. The guide is ``docs/tasks.md`` in the autoloop repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoloop.errors import UnknownNameError
from autoloop.tasks import TaskFamily, TaskInfo, check_options
from autoloop_cartpole._task import CartPoleTask

__all__ = ["FAMILY", "CartPoleTask"]
VARIANTS = ("balance",)


def _create(variant: str, data_dir: Path | None, options: dict[str, Any]) -> CartPoleTask:
    check_options(f"cartpole:{variant}", options, ())  # this family reads no options (and no data)
    if variant not in VARIANTS:
        raise UnknownNameError(f"unknown cartpole task {variant!r}; choose one of {list(VARIANTS)}")
    return CartPoleTask()


def _describe(variant: str) -> TaskInfo:
    return TaskInfo.of(CartPoleTask)


FAMILY = TaskFamily("cartpole", VARIANTS, _create, _describe)
