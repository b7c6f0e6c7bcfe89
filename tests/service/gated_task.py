"""A plug-in for queue tests: the toy task whose rollouts wait until a gate file exists.

Workers import it through ``AUTOLOOP_PLUGINS=tests.service.gated_task``; the gate is the
file named by ``AUTOLOOP_TEST_GATE``, which the test creates when the run may go on.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.tasks import TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Trace
from tests.toy_task import ToyTask

GATE_TIMEOUT_S = 120.0


class GatedToyTask(ToyTask):
    """``toy:linear`` whose rollouts start only once the gate file exists (so a run stays running)."""

    name = "gatedtoy:linear"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        gate = Path(os.environ["AUTOLOOP_TEST_GATE"])
        deadline = time.monotonic() + GATE_TIMEOUT_S
        while not gate.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the test never opened the gate {gate}")
            time.sleep(0.02)
        return super().rollout(artifact, instance, horizon)


register_task(TaskFamily("gatedtoy", ("linear",), lambda variant, data_dir, options: GatedToyTask(), lambda variant: TaskInfo.of(GatedToyTask)))
