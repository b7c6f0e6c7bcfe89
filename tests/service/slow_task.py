"""A plug-in for service tests: the toy task with a delay per rollout, so a loop run lasts seconds.

Workers and the service import it through ``AUTOLOOP_PLUGINS=tests.service.slow_task``.
"""

from __future__ import annotations

import os
import time

from autoloop.artifact import Artifact
from autoloop.tasks import TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Trace
from tests.toy_task import ToyTask

ROLLOUT_S = float(os.environ.get("AUTOLOOP_TEST_ROLLOUT_S", "0.05"))


class SlowToyTask(ToyTask):
    """``toy:linear`` that sleeps ``ROLLOUT_S`` per rollout (``0`` makes it a no-op-cost task)."""

    name = "slowtoy:linear"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        time.sleep(ROLLOUT_S)
        return super().rollout(artifact, instance, horizon)


register_task(TaskFamily("slowtoy", ("linear",), lambda variant, data_dir, options: SlowToyTask(), lambda variant: TaskInfo.of(SlowToyTask)))
