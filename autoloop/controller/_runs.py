"""RunBook: the loop runs of one study, from job to recorded outcome.

Both searches (best-arm over seeds, Optuna trials) and the final re-check hand their runs to
one ``RunBook``: it stamps each job from the study's template, submits it, takes the
executor's events into the run's group (``TrialRuns``), charges the meter, writes every
outcome into the Optuna study, reports intermediate values to the trial and stops the runs
of a trial its pruner cuts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autoloop.controller import _state as state
from autoloop.controller._progress import SettingProgress, setting_progress
from autoloop.controller._trials import TrialRuns, run_record

if TYPE_CHECKING:
    import optuna

    from autoloop.controller._budget import Meter
    from autoloop.executors import Executor, LoopJob, RunTemplate

_POLL_S = 0.5


@dataclass
class StudyStatus:
    """What a progress display shows; updated after every batch of events."""

    stage: str = "search"
    iterations: int = 0
    iteration_budget: int | None = None
    trials: dict[str, int] = field(default_factory=dict)
    best_value: float | None = None
    settings: list[SettingProgress] = field(default_factory=list)
    dollars: float | None = None  # spent so far (None = the optimizer's tokens have no price)

    def count(self, outcome: str) -> None:
        """One more trial ended with ``outcome`` (``complete``, ``pruned``, ``failed``)."""
        self.trials[outcome] = self.trials.get(outcome, 0) + 1


class RunBook:
    """Submits a study's runs and records what becomes of them.

    Args:
        template: What every job shares (``RunTemplate.job`` stamps one per run).
        executor: Where runs go.
        fixed: Loop settings every run gets besides its setting's knobs (e.g. ``iterations``).
        prefix: Run ids start with it (unique per study).
        status: Updated after every batch of events, then passed to ``on_status``.
        on_status: The progress callback.
    """

    def __init__(
        self, template: RunTemplate, executor: Executor, *, fixed: dict[str, Any], prefix: str, status: StudyStatus,
        on_status: Callable[[StudyStatus], None],
    ) -> None:
        self.template, self.executor, self.fixed, self.prefix = template, executor, fixed, prefix
        self.status, self.on_status = status, on_status
        self.study: optuna.Study | None = None  # set once the study exists: outcomes are written there
        self._seen: dict[int, TrialRuns] = {}  # every group pumped so far, for the per-setting progress

    def job(self, run_id: str, settings: dict[str, Any], seed: int, *, score_test: bool) -> LoopJob:
        """The job of one run of ``settings`` with ``seed``."""
        return self.template.job(run_id, {**self.fixed, **settings, "seed": seed}, score_test=score_test)

    def submit(self, group: TrialRuns, *, score_test: bool, pending_only: bool = False) -> None:
        """Submit the group's runs (``pending_only``: those without a recorded outcome, after a restart)."""
        for run_id, seed in group.seeds.items():
            if not (pending_only and run_id in group.records):
                self.executor.submit(self.job(run_id, group.settings, seed, score_test=score_test))

    def add_run(self, group: TrialRuns, seed: int, *, score_test: bool) -> str:
        """Give a trial's setting one more seed: record the run on the trial first, then submit it."""
        if group.trial is None:
            raise ValueError("only a trial's group takes more seeds; final-stage groups are fixed when created")
        run_id = f"{self.prefix}-t{group.trial.number}-s{seed}"
        group.add_run(run_id, seed)
        if self.study is not None:
            state.save_group(self.study, group)
        self.executor.submit(self.job(run_id, group.settings, seed, score_test=score_test))
        return run_id

    def stop(self, group: TrialRuns) -> None:
        """Ask every unfinished run of the group to stop (each is asked once)."""
        for run_id in group.running:
            if run_id not in group.stopping:
                group.stopping.add(run_id)
                self.executor.stop(run_id)

    def run_to_end(self, groups: list[TrialRuns], meter: Meter | None) -> list[TrialRuns]:
        """Take events until every run of ``groups`` has ended."""
        while not all(g.done for g in groups):
            self.pump(groups, meter)
        return groups

    def pump(self, groups: list[TrialRuns], meter: Meter | None) -> None:
        """Take the executor's events for ``groups``; record outcomes, report and prune trials.

        Raises:
            RunFailedError: A run failed for a reason outside the candidate.
        """
        by_run = {r: g for g in groups for r in g.run_ids}
        for event in self.executor.events(_POLL_S):
            group = by_run.get(event.run_id)
            if group is None or event.run_id in group.records:
                continue  # another study's run, or an outcome already recorded
            if event.progress is not None:
                if meter is not None:
                    meter.charge(event.run_id, event.progress.iteration, event.progress.tokens, event.progress.prompt_tokens)
                points = group.record(event.run_id, event.progress)
            else:
                record = run_record(event, group)
                if self.study is not None:
                    state.save_record(self.study, group, record)
                if meter is not None:
                    meter.charge_record(record)
                points = group.finish(record)
            self._report(group, points)
        if meter is not None:
            self.status.iterations, self.status.dollars = meter.iterations, meter.dollars
        self._seen.update((id(g), g) for g in groups)
        self.status.settings = setting_progress(self._seen.values())
        self.on_status(self.status)

    def _report(self, group: TrialRuns, points: list[tuple[int, float]]) -> None:
        for step, value in points:
            if group.pruned or group.trial is None:
                return
            group.trial.report(value, step)
            if group.trial.should_prune():
                group.pruned = True
                self.stop(group)
