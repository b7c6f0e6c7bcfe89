"""TrialRuns: the seed runs of one setting (one trial of the study), and its mean validation curve."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from autoloop.controller._record import RunRecord
from autoloop.controller._strategy import FINAL_SEED_BASE, Outcome
from autoloop.errors import RunFailedError
from autoloop.executors import RunEvent
from autoloop.loop import RunProgress

if TYPE_CHECKING:
    import optuna


class TrialRuns:
    """One setting run with several seeds: one trial of the study the controller records in.

    The value at a validation step is the mean over seeds of each run's best validation so
    far (what pruners read); a run that ended early (patience) holds its final best.

    Args:
        trial: The study's trial of this setting.
        settings: The knob values (no seed).
        seeds: Run id -> seed, one run per seed.
        iterations: Iterations each run is planned to take.
        tested: Runs that score their returned artifact on test at their end.
    """

    def __init__(
        self, trial: optuna.Trial | Any, settings: dict[str, Any], seeds: dict[str, int], iterations: int, *,
        tested: set[str] | None = None,
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
        self._values: dict[int, float] = {}  # seed_values, kept as runs end: read after every event
        self.told = False
        self.tested = set(tested or ())
        self._reported = 0

    def add_run(self, run_id: str, seed: int, *, score_test: bool) -> None:
        """One more seed for this setting."""
        self.seeds[run_id] = seed
        if score_test:
            self.tested.add(run_id)
        self.run_ids.append(run_id)
        self._best[run_id] = {}
        self._done_iterations[run_id] = 0

    def outcome(self, run_id: str) -> Outcome:
        """The recorded end of ``run_id``."""
        return Outcome(self.settings, self.seeds[run_id], self.records[run_id])

    def seed_values(self) -> dict[int, float]:
        """Seed -> score (``Outcome.value``) of the runs that ran to their end (stopped runs excluded)."""
        return dict(self._values)

    @property
    def value(self) -> float | None:
        """Mean score over the seeds that ran to their end."""
        values = self.seed_values()
        return sum(values.values()) / len(values) if values else None

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

    @property
    def iterating(self) -> list[str]:
        """Runs that have not ended nor reported their last iteration."""
        return [r for r in self.running if self._done_iterations[r] < self.iterations]

    def record(self, run_id: str, progress: RunProgress) -> list[tuple[int, float]]:
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
        score, seed = self.outcome(record.run_id).value, self.seeds[record.run_id]
        if score is None:  # a run recorded again without a score (stopped) no longer counts
            self._values.pop(seed, None)
        else:
            self._values[seed] = score
        best = self._best[record.run_id]
        running = None
        for iteration, value in record.outcome.curve if record.outcome is not None else ():
            running = value if running is None else max(running, value)
            if iteration > 0:
                best.setdefault(iteration, running)
        iterations = record.outcome.iterations if record.outcome is not None else 0
        self._done_iterations[record.run_id] = max(self._done_iterations[record.run_id], iterations)
        return self._complete_steps()

    def _value_at(self, run_id: str, step: int) -> float | None:
        if step in self._best[run_id]:
            return self._best[run_id][step]
        record = self.records.get(run_id)
        if record is not None and record.outcome is not None and record.outcome.iterations < step:
            return record.outcome.best_val
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


def run_record(event: RunEvent, group: TrialRuns) -> RunRecord:
    """A ``RunRecord`` from a run's terminal event (runs on seeds from ``FINAL_SEED_BASE`` are re-checks: ``final``).

    Raises:
        RunFailedError: The run failed for a reason outside the candidate (``failed`` event).
    """
    if event.kind == "failed":
        raise RunFailedError(f"loop run {event.run_id} failed: {event.error}")
    stage = "final" if group.seeds[event.run_id] >= FINAL_SEED_BASE else "search"
    r = event.result
    if r is None:  # stopped before it produced an outcome
        settings = {**group.settings, "seed": group.seeds[event.run_id]}
        return RunRecord(event.run_id, stage, settings, None, error=event.error, ended_at=time.time())
    return RunRecord(event.run_id, stage, r.settings, r, ended_at=time.time())
