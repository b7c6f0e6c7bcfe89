"""RunBook: the loop runs of one study, from job to recorded outcome, one trial per setting.

The scheduler loop hands every proposal of the strategy to one ``RunBook``: it stamps each job
from the study's template, records the run on its setting's trial before submitting it, takes
the executor's events into the setting's group (``TrialRuns``), charges the meter and writes
every outcome into the study. A run already recorded is never submitted again: its outcome is
handed back instead (a restarted study, or a strategy proposing a seed twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autoloop.controller import _state as state
from autoloop.controller._progress import SettingProgress, setting_progress
from autoloop.controller._strategy import FINAL_SEED_BASE, Outcome, Proposal
from autoloop.controller._trials import TrialRuns, run_record

if TYPE_CHECKING:
    import optuna

    from autoloop.controller._budget import Meter
    from autoloop.controller._space import SearchSpace
    from autoloop.executors import Executor, LoopJob, RunTemplate

_POLL_S = 0.5


@dataclass
class StudyStatus:
    """Where a study stands as its controller sees it, updated after every batch of events: the
    CLI's view (``autoloop tune``'s progress bar); the service keeps its stage, trials, settings and
    dollars for the API's view (``StudyProgress``, with the runs' live counts and totals)."""

    stage: str = "search"
    iterations: int = 0
    iteration_budget: int | None = None
    trials: dict[str, int] = field(default_factory=dict)
    best_value: float | None = None
    settings: list[SettingProgress] = field(default_factory=list)
    dollars: float | None = None  # spent so far (None = a model of the study has no price)

    def count(self, outcome: str) -> None:
        """One more setting ended with ``outcome`` (``complete``, ``pruned``, ``failed``)."""
        self.trials[outcome] = self.trials.get(outcome, 0) + 1


@dataclass(frozen=True)
class Point:
    """A setting's mean best validation over its runs reached ``step`` (what pruners read)."""

    settings: dict[str, Any]
    step: int
    value: float


class RunBook:
    """Submits a study's runs and records what becomes of them.

    Args:
        template: What every job shares (``RunTemplate.job`` stamps one per run).
        executor: Where runs go.
        study: The Optuna study the runs are recorded in (one trial per setting).
        space: The study's space (a setting's trial records its knobs as params).
        restored: The groups ``state.load`` found in it (a restarted study).
        iterations: Iterations of every run.
        fixed: Loop settings every run gets besides its setting's knobs (e.g. ``iterations``).
        prefix: Run ids start with it (unique per study).
        status: Updated after every batch of events, then passed to ``on_status``.
        on_status: The progress callback.
    """

    def __init__(
        self, template: RunTemplate, executor: Executor, study: optuna.Study, space: SearchSpace, restored: list[TrialRuns], *,
        iterations: int,
        fixed: dict[str, Any], prefix: str, status: StudyStatus, on_status: Callable[[StudyStatus], None],
    ) -> None:
        self.template, self.executor, self.study, self.space, self.iterations = template, executor, study, space, iterations
        self.fixed, self.prefix, self.status, self.on_status = fixed, prefix, status, on_status
        self.groups: dict[tuple, TrialRuns] = {_key(g.settings): g for g in restored}
        self.pruned: set[tuple] = set()  # settings the strategy pruned (their trials are told as pruned)

    def started(self) -> list[Proposal]:
        """What was proposed before a restart: per setting, its search seeds and its re-check seeds."""
        out = []
        for group in self.groups.values():
            for final in (False, True):
                seeds = tuple(sorted(s for s in group.seeds.values() if (s >= FINAL_SEED_BASE) == final))
                if seeds:
                    out.append(Proposal(dict(group.settings), seeds, score_test=any(r in group.tested for r in group.run_ids)))
        return out

    def outcomes(self) -> list[Outcome]:
        """Every recorded end, oldest first."""
        ended = [(g.records[r].ended_at or 0.0, g.outcome(r)) for g in self.groups.values() for r in g.records]
        return [o for _, o in sorted(ended, key=lambda pair: pair[0])]

    def resubmit(self) -> None:
        """Submit again every run without a recorded outcome (a restarted study)."""
        for group in self.groups.values():
            for run_id in group.running:
                self.executor.submit(self.job(run_id, group.settings, group.seeds[run_id], score_test=run_id in group.tested))

    def job(self, run_id: str, settings: dict[str, Any], seed: int, *, score_test: bool) -> LoopJob:
        """The job of one run of ``settings`` with ``seed``."""
        return self.template.job(run_id, {**self.fixed, **settings, "seed": seed}, score_test=score_test)

    def start(self, proposal: Proposal) -> list[Outcome]:
        """Record and submit the proposal's runs; seeds already run return their outcome instead."""
        group = self._group(proposal.settings)
        known = {seed: run_id for run_id, seed in group.seeds.items()}
        new = [s for s in proposal.seeds if s not in known]
        for seed in new:
            group.add_run(f"{self.prefix}-t{group.trial.number}-s{seed}", seed, score_test=proposal.score_test)
        if new:
            state.save_group(group)
        for run_id in (r for r, s in group.seeds.items() if s in new):
            self.executor.submit(self.job(run_id, group.settings, group.seeds[run_id], score_test=proposal.score_test))
        return [group.outcome(known[s]) for s in proposal.seeds if s in known and known[s] in group.records]

    @property
    def in_flight(self) -> int:
        """Runs submitted that have not ended."""
        return sum(len(g.running) for g in self.groups.values())

    @property
    def committed(self) -> int:
        """Iterations the runs in flight may still take."""
        return sum(g.remaining_iterations for g in self.groups.values())

    def prune(self, settings: dict[str, Any]) -> None:
        """Stop the setting's runs on the strategy's word, and tell its trial as pruned at the end."""
        self.pruned.add(_key(settings))
        self.stop(settings)

    def stop(self, settings: dict[str, Any] | None = None) -> None:
        """Ask the runs of ``settings`` (``None``: of every setting) still iterating to stop, each
        once (a run past its last iteration only scores its returned artifact: it spends no more)."""
        for group in self.groups.values() if settings is None else [self.groups[_key(settings)]]:
            for run_id in group.iterating:
                if run_id not in group.stopping:
                    group.stopping.add(run_id)
                    self.executor.stop(run_id)

    def pump(self, meter: Meter | None) -> tuple[list[Outcome], list[Point]]:
        """Take the executor's events: the runs that ended and the new points of mean curves
        (``meter``: charged with the runs' spend; ``None`` = not counted).

        Raises:
            RunFailedError: A run failed for a reason outside the candidate.
        """
        by_run = {r: g for g in self.groups.values() for r in g.run_ids}
        outcomes, points = [], []
        for event in self.executor.events(_POLL_S):
            group = by_run.get(event.run_id)
            if group is None or event.run_id in group.records:
                continue  # another study's run, or an outcome already recorded
            if event.progress is not None:
                if meter is not None:
                    meter.charge(event.run_id, event.progress)
                steps = group.record(event.run_id, event.progress)
            else:
                record = run_record(event, group)
                state.save_record(group, record)
                if meter is not None:
                    meter.charge_record(record)
                steps = group.finish(record)
                outcomes.append(group.outcome(record.run_id))
            points.extend(Point(group.settings, step, value) for step, value in steps)
        if meter is not None:
            self.status.iterations, self.status.dollars = meter.iterations, meter.dollars
        means = [g.value for g in self.groups.values() if g.value is not None]
        self.status.best_value = max(means, default=None)
        self.status.settings = setting_progress(self.groups.values())
        self.on_status(self.status)
        return outcomes, points

    def close(self) -> None:
        """Tell every setting's trial its mean score (Optuna's tools read it) at the study's end."""
        import optuna

        for group in self.groups.values():
            if group.told:
                continue
            state.save_seed_values(group)
            value, pruned = group.value, _key(group.settings) in self.pruned
            if value is not None and not pruned:
                self.study.tell(group.trial, value)
            else:
                self.study.tell(group.trial, state=optuna.trial.TrialState.PRUNED if pruned else optuna.trial.TrialState.FAIL)
            group.told = True
            self.status.count("pruned" if pruned else "complete" if value is not None else "failed")

    def _group(self, settings: dict[str, Any]) -> TrialRuns:
        import optuna

        group = self.groups.get(_key(settings))
        while group is None:
            self.study.enqueue_trial(settings)
            trial = self.study.ask()
            if _key(self.space.suggest(trial)) != _key(settings):  # enqueued just before a crash, for another setting
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            group = self.groups[_key(settings)] = TrialRuns(trial, dict(settings), {}, self.iterations)
        return group


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))
