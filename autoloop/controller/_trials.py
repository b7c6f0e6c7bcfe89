"""TrialRuns: the seed runs of one trial, turned into the trial's mean validation curve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoloop.controller._recommendation import RunRecord
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
        run_ids: One run id per seed.
        iterations: Iterations each run is planned to take.
    """

    def __init__(self, trial: optuna.Trial | None, settings: dict[str, Any], run_ids: list[str], iterations: int) -> None:
        self.trial = trial
        self.settings = settings
        self.run_ids = run_ids
        self.iterations = iterations
        self.pruned = False
        self._best: dict[str, dict[int, float]] = {r: {} for r in run_ids}
        self._done_iterations: dict[str, int] = dict.fromkeys(run_ids, 0)
        self.records: dict[str, RunRecord] = {}
        self._reported = 0

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
        """Take a run's end; return steps it completes (a run ended early holds its best)."""
        self.records[record.run_id] = record
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

    def value(self) -> float | None:
        """Mean best validation over the successful seeds."""
        ok = self.successful
        return sum(r.best_val for r in ok) / len(ok) if ok else None  # type: ignore[misc]
