"""Controller: test stays locked during the search, budgets hold, pruning stops runs, fields are complete."""

from __future__ import annotations

import pytest

from autoloop.controller import (
    Budget,
    Controller,
    LoopPlan,
    SearchSpace,
    StudyStatus,
)
from autoloop.errors import ConfigError, RunFailedError
from autoloop.executors import LocalExecutor
from autoloop.tasks import Metric, describe_task
from tests.controller.conftest import CountingToyTask

SPACE = "batch_size=1,2,4;memory=0,3"


def _controller(executor, budget=300, task="counting:linear", **kwargs) -> Controller:
    info = describe_task(task)
    space = SearchSpace.from_task(info, kwargs.pop("spec", SPACE))
    return Controller(task, info=info, executor=executor, budget=Budget(iterations=budget), space=space,
                      plan=LoopPlan(iterations=kwargs.pop("iterations", 6)), **kwargs)


def test_test_split_is_scored_only_in_the_final_stage():
    CountingToyTask.splits_seen.clear()
    test_count_at: dict[str, int] = {}

    def on_status(status: StudyStatus) -> None:
        test_count_at.setdefault(status.stage, CountingToyTask.splits_seen.count("test"))

    with LocalExecutor(jobs=0) as ex:
        rec = _controller(ex, on_status=on_status).run()
    assert set(CountingToyTask.splits_seen) == {"train", "val", "test"}
    assert test_count_at["search"] == 0
    assert test_count_at["final"] == 0  # entering the final stage, test was still untouched
    assert all(r.test is None for r in rec.runs if r.stage == "search")
    final = [r for r in rec.runs if r.stage == "final"]
    assert len(final) == 3 * 3 and all(r.test is not None for r in final)
    # every test rollout belongs to a final run: 4 instances per test evaluation along its test curve
    assert CountingToyTask.splits_seen.count("test") == 4 * sum(len(r.test_curve) for r in final)


def test_recommendation_carries_every_field_in_both_units():
    with LocalExecutor(jobs=0) as ex:
        rec = _controller(ex, seed=3).run()
    data = rec.to_dict()
    for key in ("settings", "validation", "test", "gap", "runners_up", "meta_overfitting", "runs", "spent", "trials"):
        assert data[key] is not None, key
    assert data["metric"] == {"name": "abs_error", "higher_is_better": False}
    assert data["test"]["n"] >= 3 and data["test"]["ci95"][0] <= data["test"]["mean"] <= data["test"]["ci95"][1]
    assert data["test"]["display"]["mean"] == -data["test"]["mean"] > 0  # abs error positive again
    assert len(data["runners_up"]) == 2
    assert {"iterations", "starting_artifact", "batch_size", "memory"} <= set(data["settings"])
    assert all(r["gap"] is not None for r in data["runs"] if r["stage"] == "final")


def test_iteration_budget_holds_and_pruned_trials_stop_early():
    with LocalExecutor(jobs=0) as ex:
        rec = _controller(ex, budget=200, task="counting:slow", pruner="sha", iterations=9, seeds=2, top_k=1, seed=1).run()
    assert rec.spent["iterations"] <= 200
    assert rec.trials.get("pruned", 0) >= 1
    pruned_runs = [r for r in rec.runs if r.stage == "search" and r.stopped == "stopped"]
    assert pruned_runs and all(r.iterations < 9 for r in pruned_runs)


def test_a_budget_too_small_for_one_trial_and_the_final_stage_is_refused():
    with LocalExecutor(jobs=0) as ex, pytest.raises(ConfigError, match="budget-iterations"):
        _controller(ex, budget=50).run()


def test_seconds_budget_ends_the_search_and_still_rechecks():
    with LocalExecutor(jobs=0) as ex:
        ctl = Controller("counting:linear", info=describe_task("counting:linear"), executor=ex, budget=Budget(seconds=0.01),
                         plan=LoopPlan(iterations=4))
        rec = ctl.run()
    assert rec.stop_reason == "seconds"
    assert rec.test.n == 3


def test_the_controller_never_builds_the_task_and_a_workers_data_error_fails_the_study(tmp_path, monkeypatch):
    from autoloop.tasks.mlpipeline import HousePricesTask

    # Workers are spawned processes: only a build in this, the controller's, process would hit the patch.
    monkeypatch.setattr(HousePricesTask, "__init__", _no_build)
    with LocalExecutor(jobs=1) as ex:
        ctl = Controller(
            "mlpipeline:house-prices", info=describe_task("mlpipeline:house-prices"), executor=ex,
            budget=Budget(iterations=60), plan=LoopPlan(iterations=2), seeds=1, top_k=1, final_seeds=1, data_dir=str(tmp_path),
        )
        assert ctl.metric == Metric("rmse_log", higher_is_better=False)
        with pytest.raises(RunFailedError, match=r"DataError: .*house_prices_train\.csv not found"):
            ctl.run()


def _no_build(*args, **kwargs):
    raise AssertionError("the controller built a task")
