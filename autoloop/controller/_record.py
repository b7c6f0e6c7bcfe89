"""RunRecord: the one record of a run's outcome the controller keeps (in the study, in the
recommendation, in the report)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, Literal

from autoloop.outcome import RunOutcome
from autoloop.tasks import Metric

# A run's test "falls" when its final test is this fraction (of the peak's size) below its peak.
FALL_TOLERANCE = 0.005


@dataclass(frozen=True)
class RunRecord:
    """One finished (or failed) loop run of a study: its ``RunOutcome`` and what the controller adds.

    Args:
        run_id: Its job id.
        stage: ``search`` (test locked) or ``final`` (fresh seed, scored on test).
        settings: Its ``LoopSettings`` fields, seed included.
        outcome: What the run produced, or ``None`` if it was stopped before it produced anything.
        error: Why it has no outcome, if it has none.
        ended_at: When the controller recorded its end (Unix time; orders the study's allocation).
    """

    run_id: str
    stage: Literal["search", "final"]
    settings: dict[str, Any]
    outcome: RunOutcome | None = None
    error: str | None = None
    ended_at: float | None = None

    @property
    def best_val(self) -> float | None:
        """Its best validation score, ``None`` without an outcome."""
        return None if self.outcome is None else self.outcome.best_val

    @property
    def test(self) -> float | None:
        """Its returned artifact's test score, when test was scored."""
        return None if self.outcome is None else self.outcome.test

    @property
    def score(self) -> float | None:
        """What the controller ranks the run by: its re-validation score when it has one (data
        neither the optimizer nor the checkpoint choice saw), else its best validation."""
        if self.outcome is None:
            return None
        return self.outcome.best_val if self.outcome.revalidation is None else self.outcome.revalidation

    @property
    def stopped_by_study(self) -> bool:
        """The study stopped it on a partial curve (pruned, or out of budget): strategies do not rank it."""
        return self.outcome is not None and self.outcome.stopped == "stopped"

    def to_state(self) -> dict[str, Any]:
        """Every field, JSON-ready, for the study's records (``from_state`` reads it back)."""
        outcome = None if self.outcome is None else self.outcome.to_dict()
        return {"run_id": self.run_id, "stage": self.stage, "settings": self.settings, "outcome": outcome, "error": self.error,
                "ended_at": self.ended_at}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> RunRecord:
        """The record ``to_state`` wrote, or the flat one of an earlier autoloop (the outcome's
        fields beside the record's, ``seconds`` and ``artifact`` for ``wall_time_s`` and ``best_artifact``)."""
        if "outcome" in data:
            outcome = None if data["outcome"] is None else RunOutcome.from_dict(data["outcome"])
            return cls(data["run_id"], data["stage"], data["settings"], outcome, data["error"], data["ended_at"])
        return cls(data["run_id"], data["stage"], data["settings"], _flat_outcome(data), data.get("error"), data.get("ended_at"))

    @property
    def gap(self) -> float | None:
        """Validation minus test (positive = test below validation)."""
        return None if self.best_val is None or self.test is None else self.best_val - self.test

    @property
    def excess_gap(self) -> float | None:
        """The gap minus the starting artifact's own val-to-test gap: what the loop added.

        Splits differ, so some gap exists before any update; only its growth is overfitting.
        """
        curve = self.outcome.test_curve if self.outcome is not None else ()
        if self.gap is None or not curve or curve[0][0] != 0:
            return None
        _, val0, test0 = curve[0]
        return self.gap - (val0 - test0)

    @property
    def test_falls(self) -> bool:
        """Test dropped below an earlier best while validation kept rising along this run."""
        curve = self.outcome.test_curve if self.outcome is not None else ()
        if len(curve) < 2:
            return False
        peak = max(point[2] for point in curve[:-1])
        return curve[-1][2] < peak - FALL_TOLERANCE * max(abs(peak), 1e-12)

    def to_dict(self, metric: Metric) -> dict[str, Any]:
        """JSON-ready, every score in the metric's own units; ``gap`` and ``excess_gap`` say how
        much worse test is than validation, in those units."""
        def shown(value: float | None) -> float | None:
            return None if value is None else metric.display(value)

        o = self.outcome if self.outcome is not None else RunOutcome(self.run_id, self.settings, 0.0)
        return {
            "run_id": self.run_id, "stage": self.stage, "settings": self.settings,
            "best_val": shown(self.best_val), "test": shown(self.test), "gap": self.gap, "revalidation": shown(o.revalidation),
            "iterations": o.iterations, "tokens": o.tokens, "prompt_tokens": o.prompt_tokens, "completion_tokens": o.completion_tokens,
            "stopped": o.stopped, "error": self.error,
            "optimizer": o.optimizer or None, "curve": [[i, shown(v)] for i, v in o.curve],
            "seconds": o.wall_time_s, "failures": o.failures.to_dict(), "ended_at": self.ended_at,
            "excess_gap": self.excess_gap, "test_curve": [[i, shown(v), shown(t)] for i, v, t in o.test_curve],
            "test_falls": self.test_falls,
            "revalidation_scores": [shown(v) for v in o.revalidation_scores], "test_scores": [shown(v) for v in o.test_scores],
            "revalidation_evaluations": o.revalidation_evaluations, "revalidation_tokens": o.revalidation_tokens,
            "revalidation_seconds": o.revalidation_seconds,
        }


def outcomes_of(records: Iterable[RunRecord]) -> list[RunOutcome]:
    """The outcomes of ``records`` that have one, in order."""
    return [r.outcome for r in records if r.outcome is not None]


# Fields of a record written before it held a RunOutcome that the outcome names otherwise.
_RENAMED = {"seconds": "wall_time_s", "artifact": "best_artifact"}


def _flat_outcome(data: dict[str, Any]) -> RunOutcome | None:
    """The outcome inside a flat record of an earlier autoloop (``None`` for a run that failed)."""
    if data.get("best_val") is None:
        return None
    names = {f.name for f in fields(RunOutcome)}
    values = {_RENAMED.get(k, k): v for k, v in data.items() if _RENAMED.get(k, k) in names and v is not None}
    return RunOutcome.from_dict(values)
