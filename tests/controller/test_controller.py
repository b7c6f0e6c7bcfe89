"""Controller: test stays locked during the search, budgets hold, pruning stops runs, fields are complete."""

from __future__ import annotations

import pytest

from autoloop.controller import (
    Budget,
    Controller,
    SearchSpace,
    StudyPlan,
    StudyStatus,
)
from autoloop.errors import ConfigError, RunFailedError
from autoloop.executors import LocalExecutor
from autoloop.tasks import Metric, TaskInfo, describe_task
from tests.controller.conftest import CountingToyTask, crash_then_resume
from tests.toy_task import local_template

SPACE = "batch_size=1,2,4;memory=0,3"


_PLAN = ("iterations", "seeds", "top_k", "final_seeds", "strategy", "pruner")


def _controller(executor, budget=300, task="counting:linear", **kwargs) -> Controller:
    """The Optuna path (TPE, 3 seeds, top 3 re-checked on 3 fresh seeds) unless a test says otherwise
    (best-arm tests: test_best_arm.py)."""
    plan = {"iterations": 6, "seeds": 3, "top_k": 3, "final_seeds": 3, "strategy": "tpe"}
    plan.update({k: kwargs.pop(k) for k in _PLAN if k in kwargs})
    space = SearchSpace.from_task(TaskInfo.of(CountingToyTask), kwargs.pop("spec", SPACE))
    return Controller(local_template(task), executor=executor, budget=Budget(iterations=budget), space=space,
                      plan=StudyPlan.resolve(**plan), **kwargs)


def test_test_split_is_scored_only_in_the_final_stage():
    CountingToyTask.splits_seen.clear()
    test_count_at: dict[str, int] = {}

    def on_status(status: StudyStatus) -> None:
        test_count_at.setdefault(status.stage, CountingToyTask.splits_seen.count("test"))

    with LocalExecutor(jobs=0) as ex:
        rec = _controller(ex, on_status=on_status).run()
    assert set(CountingToyTask.splits_seen) == {"train", "val", "test", "revalidation"}
    assert test_count_at["search"] == 0
    assert test_count_at["final"] == 0  # entering the final stage, test was still untouched
    assert all(r.test is None for r in rec.runs if r.stage == "search")
    final = [r for r in rec.runs if r.stage == "final"]
    assert len(final) == 3 * 3 and all(r.test is not None for r in final)
    # every test rollout belongs to a final run: 2 instances per test evaluation along its test curve
    # (the toy's 4 test instances less the 2 held back for re-validation)
    assert CountingToyTask.splits_seen.count("test") == 2 * sum(len(r.outcome.test_curve) for r in final)


def test_recommendation_carries_every_field_in_the_metrics_units():
    with LocalExecutor(jobs=0) as ex:
        rec = _controller(ex, seed=3).run()
    data = rec.to_dict()
    for key in ("settings", "validation", "test", "gap", "runners_up", "meta_overfitting", "runs", "spent", "trials"):
        assert data[key] is not None, key
    assert data["metric"] == {"name": "abs_error", "higher_is_better": False, "direction": "abs_error, lower is better"}
    assert data["test"]["n"] >= 3 and data["test"]["ci95"][0] <= data["test"]["mean"] <= data["test"]["ci95"][1]
    assert data["test"]["mean"] == -rec.test.mean > 0  # abs error positive again
    assert len(data["runners_up"]) == 2
    assert {"iterations", "starting_artifact", "batch_size", "memory"} <= set(data["settings"])
    assert all(r["gap"] is not None for r in data["runs"] if r["stage"] == "final")


def test_iteration_budget_holds_and_pruned_trials_stop_early():
    with LocalExecutor(jobs=0) as ex:
        rec = _controller(ex, budget=200, task="counting:slow", pruner="sha", iterations=9, seeds=2, top_k=1, seed=1).run()
    assert rec.spent["iterations"] <= 200
    assert rec.trials.get("pruned", 0) >= 1
    pruned_runs = [r for r in rec.runs if r.stage == "search" and r.stopped_by_study]
    assert pruned_runs and all(r.outcome.iterations < 9 for r in pruned_runs)


def test_a_budget_too_small_for_one_trial_and_the_final_stage_is_refused():
    with LocalExecutor(jobs=0) as ex, pytest.raises(ConfigError, match=r"cannot pay for the first 3 run.*raise --budget-iterations"):
        _controller(ex, budget=50).run()


def test_seconds_budget_ends_the_search_and_still_rechecks():
    with LocalExecutor(jobs=0) as ex:
        plan = StudyPlan.resolve(iterations=4, strategy="tpe")
        ctl = Controller(local_template("counting:linear"), executor=ex, budget=Budget(seconds=0.01), plan=plan)
        rec = ctl.run()
    assert rec.stop_reason == "seconds"
    assert rec.test.n == 3


def test_a_resumed_controller_keeps_the_study_and_never_reruns_a_finished_run():
    import optuna

    storage = optuna.storages.InMemoryStorage()
    before: list = []  # the study's trials when the controller died

    def crash_after_two_trials(status: StudyStatus) -> bool:
        if sum(1 for p in status.settings if p.runs and p.runs_done == p.runs) < 2:
            return False
        before.extend(optuna.load_study(study_name="resumed", storage=storage).get_trials())
        return True

    def make(ex, **kwargs) -> Controller:
        return _controller(ex, storage=storage, study_name="resumed", seeds=2, top_k=1, **kwargs)

    first_run, submitted, rec = crash_then_resume(make, crash_after_two_trials)
    finished = {r.removeprefix("record:") for t in before for r in t.user_attrs if r.startswith("record:")}
    assert len([t for t in before if len(t.user_attrs["runs"]) == sum(a.startswith("record:") for a in t.user_attrs) > 0]) >= 2
    after = optuna.load_study(study_name="resumed", storage=storage).get_trials()
    assert [(t.number, t.params) for t in after[: len(before)]] == [(t.number, t.params) for t in before]
    assert not finished & set(submitted)  # a finished trial's runs are never submitted again
    assert set(first_run) - finished <= set(submitted) | {r.run_id for r in rec.runs}
    search_runs = [r for r in rec.runs if r.stage == "search"]
    assert len(search_runs) == len({r.run_id for r in search_runs})  # each run counted once
    assert finished <= {r.run_id for r in search_runs}  # outcomes from before the crash are in the recommendation
def test_the_controller_never_builds_the_task_and_a_workers_data_error_fails_the_study(tmp_path, monkeypatch):
    from autoloop.tasks.mlpipeline import CsvTask

    # Workers are spawned processes: only a build in this, the controller's, process would hit the patch.
    monkeypatch.setattr(CsvTask, "__init__", _no_build)
    with LocalExecutor(jobs=1) as ex:
        template = local_template("mlpipeline:house-prices").model_copy(update={"data_dir": str(tmp_path)})
        ctl = Controller(
            template, info=describe_task("mlpipeline:house-prices"), executor=ex,
            budget=Budget(iterations=60), plan=StudyPlan.resolve(iterations=2, seeds=1, top_k=1, final_seeds=1),
        )
        assert ctl.metric == Metric("rmse_log", higher_is_better=False)
        with pytest.raises(RunFailedError, match=r"DataError: .*house_prices_train\.csv not found"):
            ctl.run()


def _no_build(*args, **kwargs):
    raise AssertionError("the controller built a task")
