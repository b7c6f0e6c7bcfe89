"""One record of a run's outcome, from the loop to the study; what an earlier autoloop recorded still loads.

Before ``RunOutcome``, a run's outcome was re-declared three times: the loop's ``LoopResult``,
the executors' ``RunResult`` (in every ``done`` event, kept in Redis) and the controller's flat
``RunRecord`` (in the Optuna study, so a restarted study resumes from it). The legacy forms
below are what those classes wrote.
"""

from __future__ import annotations

import json

import optuna

from autoloop.controller import Budget, Controller, RunRecord, SearchSpace, StudyPlan, StudyStatus
from autoloop.controller._trials import TrialRuns
from autoloop.executors import RunEvent, run_job
from autoloop.failures import FailureTally
from autoloop.outcome import RunOutcome
from autoloop.tasks import TaskInfo
from benchmarks.tabular.record import TABLE, row
from tests.controller.conftest import CountingToyTask, crash_then_resume
from tests.toy_task import ToyTask, local_job, local_template

ARTIFACT = {"name": "start", "parameters": {"slope": 1.0}, "editable": ["slope"], "context": "", "kind": "python"}
SETTINGS = {"starting_artifact": "start", "credit_horizon": 1, "batch_size": 2, "iterations": 4, "val_interval": 1, "patience": 0,
            "memory": 3, "seed": 5, "max_skips": 3}
# A RunResult.to_dict() as a done event carried it (every field, `seed` beside `settings`).
LEGACY_RESULT = {
    "run_id": "r1", "seed": 5, "settings": SETTINGS, "optimizer": "local", "task_options": {"target": "y"}, "best_val": -0.5,
    "test": -0.7, "curve": [[0, -1.0], [2, -0.5]], "test_curve": [[0, -1.0, -1.2], [2, -0.5, -0.7]], "iterations": 4, "tokens": 12,
    "failures": FailureTally().to_dict(), "skipped_updates": 1, "skip_reasons": ["iteration 3: unusable reply"], "wall_time_s": 0.3,
    "stopped": None, "best_artifact": ARTIFACT, "start_artifact": ARTIFACT, "prompt_tokens": 5, "completion_tokens": 4,
    "revalidation": -0.6, "revalidation_scores": [-0.6], "test_scores": [-0.7], "revalidation_evaluations": 1,
    "revalidation_tokens": 3, "revalidation_seconds": 0.01,
}
# A RunRecord.to_state() before it held the outcome: flat, `seconds` and `artifact` for wall_time_s and best_artifact.
LEGACY_RECORD = {
    "run_id": "r1", "stage": "final", "settings": SETTINGS, "best_val": -0.5, "test": -0.7, "iterations": 4, "tokens": 12,
    "stopped": None, "error": None, "test_curve": [[0, -1.0, -1.2], [2, -0.5, -0.7]], "optimizer": "local",
    "curve": [[0, -1.0], [2, -0.5]], "seconds": 0.3, "failures": FailureTally().to_dict(), "ended_at": 1.7e9, "artifact": ARTIFACT,
    "start_artifact": ARTIFACT, "revalidation": -0.6, "revalidation_scores": [-0.6], "test_scores": [-0.7],
    "revalidation_evaluations": 1, "revalidation_tokens": 3, "revalidation_seconds": 0.01, "prompt_tokens": 5, "completion_tokens": 4,
}
LEGACY_STOPPED = {
    **LEGACY_RECORD, "best_val": None, "test": None, "iterations": 0, "tokens": 0, "test_curve": [], "optimizer": None, "curve": [],
    "seconds": 0.0, "artifact": None, "start_artifact": None, "revalidation": None, "revalidation_scores": [], "test_scores": [],
    "revalidation_evaluations": 0, "revalidation_tokens": 0, "revalidation_seconds": 0.0, "prompt_tokens": 0, "completion_tokens": 0,
    "error": "stopped before it started",
}


def test_the_loops_outcome_is_what_a_done_event_carries_and_reads_back():
    outcome = run_job(local_job("r1", iterations=3, seed=2), ToyTask())
    assert isinstance(outcome, RunOutcome) and outcome.seed == 2 and outcome.test_curve and outcome.start_artifact["name"] == "start"
    event = RunEvent.from_json(RunEvent(outcome.run_id, "done", result=outcome).to_json())
    assert event.result == outcome


def test_a_done_event_an_earlier_autoloop_recorded_reads_back():
    raw = json.dumps({"run_id": "r1", "kind": "done", "error": None, "progress": None, "result": LEGACY_RESULT})
    outcome = RunEvent.from_json(raw).result
    assert outcome is not None and outcome.seed == 5 and outcome.task_options == {"target": "y"}
    assert outcome.to_dict() == {k: v for k, v in LEGACY_RESULT.items() if k != "seed"}


def test_a_flat_record_an_earlier_autoloop_wrote_reads_back_and_shows_the_same():
    record = RunRecord.from_state(LEGACY_RECORD)
    assert record.outcome is not None and record.outcome.wall_time_s == 0.3 and record.outcome.best_artifact == ARTIFACT
    assert (record.best_val, record.test, record.score, record.ended_at) == (-0.5, -0.7, -0.6, 1.7e9)
    assert RunRecord.from_state(record.to_state()) == record
    shown = record.to_dict(CountingToyTask.metric)
    assert {k: shown[k] for k in ("seconds", "iterations", "revalidation_evaluations", "optimizer")} == {
        "seconds": 0.3, "iterations": 4, "revalidation_evaluations": 1, "optimizer": "local",
    }
    stopped = RunRecord.from_state(LEGACY_STOPPED)
    assert stopped.outcome is None and stopped.error == "stopped before it started" and stopped.score is None
    assert RunRecord.from_state(stopped.to_state()) == stopped


def _flat(state: dict) -> dict:
    """A record as autoloop wrote it before RunOutcome (the inverse of the legacy reading)."""
    outcome = dict(state["outcome"])
    for gone in ("skipped_updates", "skip_reasons", "task_options"):
        del outcome[gone]
    outcome["seconds"], outcome["artifact"] = outcome.pop("wall_time_s"), outcome.pop("best_artifact")
    return {**outcome, **{k: v for k, v in state.items() if k != "outcome"}}


def test_a_study_recorded_before_resumes_without_running_a_finished_run_again():
    storage = optuna.storages.InMemoryStorage()
    space = SearchSpace.from_task(TaskInfo.of(CountingToyTask), "batch_size=1,2,4")

    def make(executor, **kwargs) -> Controller:
        plan = StudyPlan.resolve(iterations=4, seeds=2, top_k=1, final_seeds=2, strategy="tpe")
        return Controller(local_template("counting:linear"), executor=executor, budget=Budget(iterations=200), space=space,
                          plan=plan, storage=storage, study_name="legacy", **kwargs)

    def downgrade_after_two_settings(status: StudyStatus) -> bool:
        if sum(1 for p in status.settings if p.runs and p.runs_done == p.runs) < 2:
            return False
        study = optuna.load_study(study_name="legacy", storage=storage)
        for trial in study.get_trials(deepcopy=False):
            for key, state in trial.user_attrs.items():
                if key.startswith("record:"):
                    storage.set_trial_user_attr(trial._trial_id, key, _flat(state))
                    finished[key.removeprefix("record:")] = state["outcome"]["best_val"]
        return True

    finished: dict[str, float] = {}
    _, submitted, rec = crash_then_resume(make, downgrade_after_two_settings)
    assert finished and not set(finished) & set(submitted)  # the old records were read: their runs were not run again
    kept = {r.run_id: r.best_val for r in rec.runs if r.run_id in finished}
    assert kept == finished


def test_a_recorded_table_row_keeps_the_keys_of_the_rows_already_recorded():
    recorded_row = json.loads(TABLE.read_text().splitlines()[0])
    outcome = RunOutcome.from_dict(LEGACY_RESULT)
    assert row("toy:linear", outcome).keys() == recorded_row.keys()  # replay reads the old rows and the new ones alike


def test_a_run_recorded_again_without_a_score_no_longer_counts_for_its_seed():
    settings = {"starting_artifact": "a", "credit_horizon": 1, "batch_size": 1}
    runs = TrialRuns(None, settings, {"r0": 0, "r1": 1}, iterations=2)
    runs.finish(RunRecord("r0", "search", {**settings, "seed": 0}, RunOutcome("r0", {**settings, "seed": 0}, 0.5, revalidation=0.4)))
    runs.finish(RunRecord("r1", "search", {**settings, "seed": 1}, RunOutcome("r1", {**settings, "seed": 1}, 0.7, revalidation=0.6)))
    assert runs.seed_values() == {0: 0.4, 1: 0.6}
    runs.finish(RunRecord("r1", "search", {**settings, "seed": 1}, None, error="stopped before it started"))  # recorded again
    assert runs.seed_values() == {0: 0.4}
