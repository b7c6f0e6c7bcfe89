"""A plug-in task whose rollouts kill their process: ``crash:train`` (executor contract tests).

Spawned LocalExecutor workers and RQ workers (``AUTOLOOP_PLUGINS``) import it by name.
"""

from __future__ import annotations

import os

from autoloop.artifact import Artifact
from autoloop.tasks import TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Trace
from tests.toy_task import ToyTask


class CrashTask(ToyTask):
    """``toy:linear`` whose training rollouts end the process (as an OOM kill or a segfault would)."""

    name = "crash:train"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        if instance.split == "train":
            os._exit(3)
        return super().rollout(artifact, instance, horizon)


register_task(TaskFamily("crash", ("train",), lambda variant, data_dir, options: CrashTask(), lambda variant: TaskInfo.of(CrashTask)))
