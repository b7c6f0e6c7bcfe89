"""The controller's state, kept in the Optuna study itself so a restarted controller resumes.

One trial per setting, whatever the strategy: it carries its settings, its runs (run id ->
seed) and the runs that score test as user attributes from the moment a run is added, and
every run's outcome as it arrives (``record:<run id>``); when the trial is told at the study's
end, ``seed_values`` (seed -> score, internal) joins them, so Optuna's own tools read one trial
per setting with its per-seed values. The search's stop reason and the study's start time are
study user attributes. ``load`` rebuilds the groups from the study; the strategy is handed
them (``SearchStrategy.resume``), runs without a recorded outcome are re-submitted, and an
executor that recorded the outcome meanwhile (``RQExecutor``) reports it instead of running
the run again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autoloop.controller._record import RunRecord
from autoloop.controller._trials import TrialRuns
from autoloop.tasks import Metric

if TYPE_CHECKING:
    import optuna

SETTINGS = "settings"
RUNS = "runs"
SEED_VALUES = "seed_values"
TESTED = "tested"
RECORD = "record:"
STOP_REASON = "stop_reason"
STARTED_AT = "started_at"
PICK = "pick"


@dataclass
class SavedState:
    """What ``load`` found in a study (all empty for a new study)."""

    started_at: float
    trials: list[TrialRuns] = field(default_factory=list)
    stop_reason: str | None = None


def load(study: optuna.Study, iterations: int) -> SavedState:
    """Rebuild the trial groups of ``study``; a new study gets its start time."""
    import optuna

    attrs = study.user_attrs
    if STARTED_AT not in attrs:
        study.set_user_attr(STARTED_AT, time.time())
        return SavedState(started_at=study.user_attrs[STARTED_AT])
    saved = SavedState(started_at=attrs[STARTED_AT], stop_reason=attrs.get(STOP_REASON))
    for frozen in study.get_trials(deepcopy=False):
        if SETTINGS not in frozen.user_attrs:  # asked just before a crash
            if frozen.state == optuna.trial.TrialState.RUNNING:
                study.tell(frozen.number, state=optuna.trial.TrialState.FAIL)
            continue
        live = frozen.state == optuna.trial.TrialState.RUNNING
        trial = optuna.trial.Trial(study, frozen._trial_id) if live else frozen
        user = frozen.user_attrs
        group = TrialRuns(trial, user[SETTINGS], user[RUNS], iterations, tested=set(user.get(TESTED, ())))
        for run_id in group.run_ids:
            data = user.get(f"{RECORD}{run_id}")
            if data is not None:
                group.finish(RunRecord.from_state(data))
        group.told = not live
        saved.trials.append(group)
    return saved


def save_group(group: TrialRuns) -> None:
    """Write a group's settings and runs onto its trial, before a new run of it is submitted."""
    group.trial.set_user_attr(SETTINGS, group.settings)
    group.trial.set_user_attr(RUNS, group.seeds)
    group.trial.set_user_attr(TESTED, sorted(group.tested))


def save_record(group: TrialRuns, record: RunRecord) -> None:
    """Write a run's outcome next to its trial (told only at the study's end: still open here)."""
    group.trial.set_user_attr(f"{RECORD}{record.run_id}", record.to_state())


def save_seed_values(group: TrialRuns) -> None:
    """Write the trial's per-seed scores (seed -> value, JSON keys), just before it is told."""
    group.trial.set_user_attr(SEED_VALUES, {str(seed): value for seed, value in sorted(group.seed_values().items())})


def save_pick(study: optuna.Study, settings: dict[str, Any], why: str, metric: Metric) -> None:
    """Mark the recommended setting in the study (``pick``: its settings, its trial, and why
    it is not Optuna's best trial when it is not), for optuna-dashboard and other Optuna tools."""
    import optuna

    done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    mine = next((t.number for t in done if t.user_attrs.get(SETTINGS) == settings), None)
    note = f"autoloop's pick: {why}"
    if done:
        best = max(done, key=lambda t: t.value)
        if best.number != mine:
            seeds = len(best.user_attrs.get(SEED_VALUES, {})) or "?"
            note += (
                f" Optuna's best trial, #{best.number}, has the best single value ({metric.name} {metric.display(best.value):.4g}, "
                f"the mean of its {seeds} seed(s)); autoloop compares settings on paired seeds, adjusted for seed effects "
                "and shrunk by their noise, and reads the verdict, not the highest mean."
            )
    study.set_user_attr(PICK, {"settings": settings, "trial": mine, "why": note})


def save_stop_reason(study: optuna.Study, reason: str) -> None:
    """Mark the search as over (a restart goes straight to the final stage)."""
    study.set_user_attr(STOP_REASON, reason)
