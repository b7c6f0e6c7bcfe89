"""A toy task variant that logs every rollout's split in one list shared by all its instances,
and ``crash_then_resume``: a controller that dies mid-study and is started again."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import ClassVar

import pytest

from autoloop.controller import Controller, Recommendation, StudyStatus
from autoloop.executors import LocalExecutor
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


class _Crash(Exception):
    """Stands in for a controller process dying mid-study."""


class _Recording(LocalExecutor):
    """A ``LocalExecutor`` (in this process) that records the run id of every job submitted."""

    def __init__(self) -> None:
        super().__init__(jobs=0)
        self.submitted: list[str] = []

    def submit(self, job):
        self.submitted.append(job.run_id)
        super().submit(job)


def crash_then_resume(
    make: Callable[..., Controller], crash_when: Callable[[StudyStatus], bool]
) -> tuple[list[str], list[str], Recommendation]:
    """Run ``make(executor, on_status=...)`` until ``crash_when(status)`` (the controller dies
    there), then ``make(executor)`` again on the same storage to the end.

    Returns:
        The run ids submitted before the crash, those submitted after it, and the resumed study's recommendation.
    """

    def crash(status: StudyStatus) -> None:
        if crash_when(status):
            raise _Crash

    with _Recording() as ex, pytest.raises(_Crash):
        make(ex, on_status=crash).run()
    before = list(ex.submitted)
    with _Recording() as ex:
        rec = make(ex).run()
    return before, list(ex.submitted), rec
