"""TrialRuns: the seed runs of one trial, turned into the trial's mean validation curve."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from autoloop.controller._recommendation import RunRecord, SettingReport
from autoloop.errors import RunFailedError
from autoloop.executors import RunEvent
from autoloop.loop import Progress

if TYPE_CHECKING:
    import optuna


class TrialRuns:
    """One Optuna trial = the same settings run with several seeds.

    The intermediate value at a validation step is the mean over seeds of each run's best
    validation so far; a run that ended early (patience) holds its final best.

    Args:
        trial: The Optuna trial (``None`` for final-stage groups).
        settings: The knob values (no seed).
        seeds: Run id -> seed, one run per seed.
        iterations: Iterations each run is planned to take.
        reported: Steps already reported to the trial (a trial resumed after a restart).
        final_index: Position of a final-stage group in the final stage (1-based).
    """

    def __init__(
        self, trial: optuna.Trial | None, settings: dict[str, Any], seeds: dict[str, int], iterations: int, *, reported: int = 0,
        final_index: int | None = None,
    ) -> None:
        self.trial = trial
        self.settings = settings
        self.seeds = seeds
        self.run_ids = list(seeds)
        self.iterations = iterations
        self.pruned = False
        self.stopping: set[str] = set()  # runs asked to stop, not yet ended
        self._best: dict[str, dict[int, float]] = {r: {} for r in self.run_ids}
        self._done_iterations: dict[str, int] = dict.fromkeys(self.run_ids, 0)
        self.records: dict[str, RunRecord] = {}
        self.told = False
        self.final_index = final_index
        self._reported = reported

    def add_run(self, run_id: str, seed: int) -> None:
        """One more seed for this setting (best-arm search: a tried setting gets more seeds)."""
        self.seeds[run_id] = seed
        self.run_ids.append(run_id)
        self._best[run_id] = {}
        self._done_iterations[run_id] = 0

    def seed_values(self) -> dict[int, float]:
        """Seed -> best validation of the runs that ran to their end (stopped runs excluded)."""
        return {
            self.seeds[r.run_id]: r.best_val for r in self.records.values() if r.best_val is not None and r.stopped != "stopped"
        }

    @property
    def done(self) -> bool:
        """Every run has ended."""
        return len(self.records) == len(self.run_ids)

    @property
    def remaining_iterations(self) -> int:
        """Iterations the unfinished runs may still take."""
        return sum(self.iterations - self._done_iterations[r] for r in self.run_ids if r not in self.records)

    @property
    def running(self) -> list[str]:
        """Runs that have not ended."""
        return [r for r in self.run_ids if r not in self.records]

    def record(self, run_id: str, progress: Progress) -> list[tuple[int, float]]:
        """Take one progress event; return the newly complete ``(step, mean best validation)`` points."""
        self._done_iterations[run_id] = progress.iteration
        if progress.val is not None:
            self._best[run_id][progress.iteration] = progress.best_val
        return self._complete_steps()

    def finish(self, record: RunRecord) -> list[tuple[int, float]]:
        """Take a run's end; return steps it completes (a run ended early holds its best).

        The record's own curve fills in validation steps whose progress events were missed
        (e.g. while the service was down).
        """
        self.records[record.run_id] = record
        best = self._best[record.run_id]
        running = None
        for iteration, value in record.curve:
            running = value if running is None else max(running, value)
            if iteration > 0:
                best.setdefault(iteration, running)
        self._done_iterations[record.run_id] = max(self._done_iterations[record.run_id], record.iterations)
        return self._complete_steps()

    def _value_at(self, run_id: str, step: int) -> float | None:
        if step in self._best[run_id]:
            return self._best[run_id][step]
        record = self.records.get(run_id)
        if record is not None and record.iterations < step:
            return record.best_val
        return None

    def _complete_steps(self) -> list[tuple[int, float]]:
        steps = sorted({s for curve in self._best.values() for s in curve if s > self._reported})
        live = [r for r in self.run_ids if r not in self.records or self.records[r].best_val is not None]
        out = []
        for step in steps:
            values = [self._value_at(r, step) for r in live]
            if not values or any(v is None for v in values):
                break
            out.append((step, sum(values) / len(values)))  # type: ignore[arg-type]
            self._reported = step
        return out

    @property
    def successful(self) -> list[RunRecord]:
        """Ended runs with a validation score."""
        return [r for r in self.records.values() if r.best_val is not None]

    @property
    def tested(self) -> bool:
        """Some run was scored on test (final stage)."""
        return any(r.test is not None for r in self.records.values())

    def value(self) -> float | None:
        """Mean best validation over the successful seeds."""
        ok = self.successful
        return sum(r.best_val for r in ok) / len(ok) if ok else None  # type: ignore[misc]


def run_record(event: RunEvent, group: TrialRuns) -> RunRecord:
    """A ``RunRecord`` from a run's terminal event (search runs belong to a trial, final ones do not).

    Raises:
        RunFailedError: The run failed for a reason outside the candidate (``failed`` event).
    """
    if event.kind == "failed":
        raise RunFailedError(f"loop run {event.run_id} failed: {event.error}")
    stage = "search" if group.trial is not None else "final"
    r = event.result
    if r is None:  # stopped before it produced a result
        settings = {**group.settings, "seed": group.seeds[event.run_id]}
        return RunRecord(event.run_id, stage, settings, None, error=event.error, ended_at=time.time())
    return RunRecord(
        event.run_id, stage, r.settings, r.best_val, r.test, r.iterations, r.tokens, r.stopped,
        test_curve=r.test_curve, optimizer=r.optimizer, curve=r.curve, seconds=r.wall_time_s, failures=r.failures,
        ended_at=time.time(), artifact=r.best_artifact or None, start_artifact=r.start_artifact or None,
        prompt_tokens=r.prompt_tokens, executor_tokens=r.executor_tokens, executor_prompt_tokens=r.executor_prompt_tokens,
    )


def finalists(groups: list[TrialRuns], k: int) -> list[tuple[dict[str, Any], float]]:
    """Top-k settings by search validation: completed trials first, then pruned ones by their last mean."""
    ranked = sorted(
        ((not g.pruned, g.value(), g.settings) for g in groups if g.value() is not None),
        key=lambda t: (t[0], t[1]), reverse=True,
    )
    return [(settings, value) for _, value, settings in ranked[:k]]


def combined_validation(report: SettingReport, searched: list[TrialRuns]) -> float:
    """Mean validation over the setting's search seeds and fresh seeds (test never selects)."""
    search = next(g for g in searched if g.settings == report.settings)
    values = [r.best_val for r in search.successful] + [r.best_val for r in report.runs if r.best_val is not None]
    return sum(values) / len(values)  # type: ignore[arg-type]
