"""RunRecord: the one record of a run's outcome the controller keeps (in the study, in the
recommendation, in the report)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from autoloop.failures import FailureTally
from autoloop.tasks import Metric

# A run's test "falls" when its final test is this fraction (of the peak's size) below its peak.
FALL_TOLERANCE = 0.005


@dataclass(frozen=True)
class RunRecord:
    """One finished (or failed) loop run of a study.

    Args:
        run_id: Its job id.
        stage: ``search`` (test locked) or ``final`` (fresh seed, scored on test).
        settings: Its ``LoopSettings`` fields, seed included.
        best_val: Best validation score, or ``None`` if the run failed.
        test: Test score of its best artifact (final stage only).
        iterations: Iterations it ran.
        tokens: LLM tokens it spent.
        stopped: Why it ended early (``stopped`` = pruned or out of budget), if it did.
        error: Why it failed, if it did.
        test_curve: ``[iteration, validation, test]`` of the best artifact along the run (final stage).
        optimizer: The optimizer that ran it.
        curve: ``[iteration, validation]`` points of the run.
        seconds: Wall time of its loop.
        failures: Its candidate evaluations, how many failed and why.
        ended_at: When the controller recorded its end (Unix time; orders the study's allocation).
        artifact: Its best artifact (``Artifact.to_dict()``), if it produced one.
        start_artifact: The starting artifact it revised (``Artifact.to_dict()``).
        revalidation: Its returned artifact re-scored on the sealed re-validation split (mean over
            instances, internal), when the run finished and the task has that split.
        revalidation_scores: The same per re-validation instance.
        test_scores: Its returned artifact's test score per test instance (when test was scored).
        revalidation_evaluations: Candidate evaluations the re-validation made.
        revalidation_tokens: LLM tokens the task spent on it (an executor LLM's; part of ``tokens``, so charged).
        revalidation_seconds: Its wall time (part of ``seconds``).
        prompt_tokens: The optimizer's prompt tokens; completion_tokens: its completion tokens (``tokens``
            less both is the task's own, an executor's).
    """

    run_id: str
    stage: Literal["search", "final"]
    settings: dict[str, Any]
    best_val: float | None
    test: float | None = None
    iterations: int = 0
    tokens: int = 0
    stopped: str | None = None
    error: str | None = None
    test_curve: tuple[tuple[float, ...], ...] = ()
    optimizer: str | None = None
    curve: tuple[tuple[int, float], ...] = ()
    seconds: float = 0.0
    failures: FailureTally = field(default_factory=FailureTally)
    ended_at: float | None = None
    artifact: dict[str, Any] | None = field(default=None, repr=False)
    start_artifact: dict[str, Any] | None = field(default=None, repr=False)
    revalidation: float | None = None
    revalidation_scores: tuple[float, ...] = field(default=(), repr=False)
    test_scores: tuple[float, ...] = field(default=(), repr=False)
    revalidation_evaluations: int = 0
    revalidation_tokens: int = 0
    revalidation_seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def score(self) -> float | None:
        """What the controller ranks the run by: its re-validation score when it has one (data
        neither the optimizer nor the checkpoint choice saw), else its best validation."""
        return self.best_val if self.revalidation is None else self.revalidation

    def to_state(self) -> dict[str, Any]:
        """Every field, JSON-ready, for the study's records (``from_state`` reads it back)."""
        return {**asdict(self), "failures": self.failures.to_dict()}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> RunRecord:
        """The record ``to_state`` wrote."""
        tuples = {k: tuple(tuple(p) for p in data[k]) for k in ("test_curve", "curve")}
        tuples.update((k, tuple(data.get(k, ()))) for k in ("revalidation_scores", "test_scores"))
        return cls(**{**data, **tuples, "failures": FailureTally.from_dict(data["failures"])})

    @property
    def gap(self) -> float | None:
        """Validation minus test (positive = test below validation)."""
        return None if self.best_val is None or self.test is None else self.best_val - self.test

    @property
    def excess_gap(self) -> float | None:
        """The gap minus the starting artifact's own val-to-test gap: what the loop added.

        Splits differ, so some gap exists before any update; only its growth is overfitting.
        """
        if self.gap is None or not self.test_curve or self.test_curve[0][0] != 0:
            return None
        _, val0, test0 = self.test_curve[0]
        return self.gap - (val0 - test0)

    @property
    def test_falls(self) -> bool:
        """Test dropped below an earlier best while validation kept rising along this run."""
        if len(self.test_curve) < 2:
            return False
        peak = max(point[2] for point in self.test_curve[:-1])
        return self.test_curve[-1][2] < peak - FALL_TOLERANCE * max(abs(peak), 1e-12)

    def to_dict(self, metric: Metric) -> dict[str, Any]:
        """JSON-ready, every score in the metric's own units; ``gap`` and ``excess_gap`` say how
        much worse test is than validation, in those units."""
        def shown(value: float | None) -> float | None:
            return None if value is None else metric.display(value)

        return {
            "run_id": self.run_id, "stage": self.stage, "settings": self.settings,
            "best_val": shown(self.best_val), "test": shown(self.test), "gap": self.gap, "revalidation": shown(self.revalidation),
            "iterations": self.iterations, "tokens": self.tokens, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "stopped": self.stopped, "error": self.error,
            "optimizer": self.optimizer, "curve": [[i, shown(v)] for i, v in self.curve],
            "seconds": self.seconds, "failures": self.failures.to_dict(), "ended_at": self.ended_at,
            "excess_gap": self.excess_gap, "test_curve": [[i, shown(v), shown(t)] for i, v, t in self.test_curve],
            "test_falls": self.test_falls,
            "revalidation_scores": [shown(v) for v in self.revalidation_scores], "test_scores": [shown(v) for v in self.test_scores],
            "revalidation_evaluations": self.revalidation_evaluations, "revalidation_tokens": self.revalidation_tokens,
            "revalidation_seconds": self.revalidation_seconds,
        }
