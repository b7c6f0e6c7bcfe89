"""Per-setting progress: what the service's status and `autoloop status --watch` show while a study runs."""

from __future__ import annotations

import pytest

from autoloop.controller import Budget, Controller, SearchSpace, SettingProgress, StudyPlan, StudyStatus
from autoloop.executors import LocalExecutor
from autoloop.tasks import TaskInfo
from tests.controller.conftest import CountingToyTask
from tests.toy_task import local_template


def test_status_carries_runs_mean_validation_and_allocation_per_setting():
    seen: list[list[SettingProgress]] = []

    def on_status(status: StudyStatus) -> None:
        seen.append(list(status.settings))

    space = SearchSpace.from_task(TaskInfo.of(CountingToyTask), "batch_size=1,2,4")
    with LocalExecutor(jobs=0) as executor:
        rec = Controller(
            local_template("counting:linear"), executor=executor, budget=Budget(iterations=48), space=space, plan=StudyPlan.resolve(iterations=3),
            on_status=on_status,
        ).run()
    final = seen[-1]
    assert sum(p.runs for p in final) == sum(p.runs_done for p in final) == len(rec.runs)
    assert sum(p.allocation for p in final) == pytest.approx(1)
    for progress in final:
        runs = [r for r in rec.runs if r.settings["batch_size"] == progress.settings["batch_size"] and r.best_val is not None]
        # The score runs are ranked by: re-validation (every finished run of the toy task has one).
        assert all(r.outcome.revalidation is not None for r in runs)
        assert progress.mean_val == pytest.approx(sum(r.score for r in runs) / len(runs))
        assert progress.allocation == pytest.approx(progress.runs / len(rec.runs))
    assert any(sum(p.runs_done for p in s) < sum(p.runs for p in s) for s in seen)  # shown while runs are still going
