"""A toy task variant that logs every rollout's split in one list shared by all its instances."""

from __future__ import annotations

import os
import time
from typing import ClassVar

from autoloop.tasks import Metric, TaskFamily, TaskInfo, register_task
from tests.toy_task import ToyTask


class CountingToyTask(ToyTask):
    """``toy:linear`` with an error metric (lower is better) and a process-wide rollout log."""

    name = "counting:linear"
    batch_sizes = (1, 2, 4)
    metric = Metric("abs_error", higher_is_better=False)
    splits_seen: ClassVar[list[str]] = []

    def __init__(self, delay_s: float = 0.0, *, crash: bool = False) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.crash = crash

    def rollout(self, artifact, instance, horizon):
        if self.crash and instance.split == "train":
            os._exit(3)  # the crash variant: the worker process dies mid-run
        CountingToyTask.splits_seen.append(instance.split)
        time.sleep(self.delay_s)  # the slow variant lets a controller stop a run mid-way
        return super().rollout(artifact, instance, horizon)


register_task(
    TaskFamily(
        "counting",
        ("linear", "slow", "crash"),
        lambda variant, data_dir, options: CountingToyTask(0.005 if variant == "slow" else 0.0, crash=variant == "crash"),
        lambda variant: TaskInfo.of(CountingToyTask),
    )
)
