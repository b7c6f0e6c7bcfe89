"""Plug-in tasks for the executor contract tests: ``contract:crash`` and ``contract:slow``.

Spawned LocalExecutor workers and RQ workers (``AUTOLOOP_PLUGINS``) import this module by name.
"""

from __future__ import annotations

import os
import time

from autoloop.artifact import Artifact
from autoloop.tasks import TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Trace
from tests.toy_task import ToyTask

SLOW_ROLLOUT_S = 0.01


class CrashTask(ToyTask):
    """``toy:linear`` whose training rollouts end the process (as an OOM kill or a segfault would)."""

    name = "contract:crash"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        if instance.split == "train":
            os._exit(3)
        return super().rollout(artifact, instance, horizon)


class SlowTask(ToyTask):
    """``toy:linear`` whose rollouts take a while: a long job cannot finish before the suite stops it."""

    name = "contract:slow"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        time.sleep(SLOW_ROLLOUT_S)  # stands for work, not for synchronization
        return super().rollout(artifact, instance, horizon)


_TASKS = {"crash": CrashTask, "slow": SlowTask}
register_task(
    TaskFamily("contract", tuple(_TASKS), lambda variant, data_dir, options: _TASKS[variant](), lambda variant: TaskInfo.of(_TASKS[variant]))
)
