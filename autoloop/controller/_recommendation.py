"""The Recommendation a study returns: settings, scores with intervals, runners-up, evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from autoloop.controller._verdict import Verdict
from autoloop.failures import FailureTally
from autoloop.tasks import Metric

BOOTSTRAP_RESAMPLES = 2000
# A run's test "falls" when its final test is this fraction (of the peak's size) below its peak.
FALL_TOLERANCE = 0.005


@dataclass(frozen=True)
class Interval:
    """A mean with a 95% percentile-bootstrap interval over ``n`` values (internal scores)."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def bootstrap(cls, values: Sequence[float], *, seed: int = 0) -> Interval:
        """Resample ``values`` with replacement; one value gives a zero-width interval."""
        x = np.asarray(values, dtype=float)
        if x.size == 0:
            raise ValueError("cannot bootstrap an empty sample")
        means = x[np.random.default_rng(seed).integers(0, x.size, (BOOTSTRAP_RESAMPLES, x.size))].mean(axis=1)
        low, high = np.quantile(means, [0.025, 0.975])
        return cls(float(x.mean()), float(low), float(high), int(x.size))

    def to_dict(self, metric: Metric | None = None) -> dict[str, Any]:
        """Internal values, plus ``display`` in the metric's units when ``metric`` is given."""
        data: dict[str, Any] = {"mean": self.mean, "ci95": [self.low, self.high], "n": self.n}
        if metric is not None:
            ends = sorted((metric.display(self.low), metric.display(self.high)))
            data["display"] = {"mean": metric.display(self.mean), "ci95": ends}
        return data


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

    def to_state(self) -> dict[str, Any]:
        """Every field, JSON-ready, for the study's records (``from_state`` reads it back)."""
        return {**asdict(self), "failures": self.failures.to_dict()}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> RunRecord:
        """The record ``to_state`` wrote."""
        curves = {"test_curve": tuple(tuple(p) for p in data["test_curve"]), "curve": tuple(tuple(p) for p in data["curve"])}
        return cls(**{**data, **curves, "failures": FailureTally.from_dict(data["failures"])})

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
        """JSON-ready; scores internal, ``display`` in the metric's units (gap stays internal)."""
        shown = {k: None if v is None else metric.display(v) for k, v in (("best_val", self.best_val), ("test", self.test))}
        return {
            "run_id": self.run_id, "stage": self.stage, "settings": self.settings,
            "best_val": self.best_val, "test": self.test, "gap": self.gap, "display": shown,
            "iterations": self.iterations, "tokens": self.tokens, "stopped": self.stopped, "error": self.error,
            "optimizer": self.optimizer, "curve": [list(p) for p in self.curve],
            "seconds": self.seconds, "failures": self.failures.to_dict(), "ended_at": self.ended_at,
            "excess_gap": self.excess_gap, "test_curve": [list(p) for p in self.test_curve], "test_falls": self.test_falls,
        }


@dataclass(frozen=True)
class SettingReport:
    """A re-checked setting: its validation and test over the final stage's fresh seeds."""

    settings: dict[str, Any]
    validation: Interval
    test: Interval
    gap: Interval
    search_value: float | None
    runs: tuple[RunRecord, ...] = field(repr=False)

    @property
    def failures(self) -> FailureTally:
        """The tally over all its runs."""
        return FailureTally.total(r.failures for r in self.runs)

    @classmethod
    def of(cls, settings: dict[str, Any], search_value: float | None, runs: Sequence[RunRecord]) -> SettingReport:
        """Summarize the successful final-stage ``runs`` of ``settings``."""
        ok = [r for r in runs if r.test is not None and r.best_val is not None]
        if not ok:
            raise ValueError(f"no final-stage run of {settings} finished; see their errors")
        return cls(
            settings,
            Interval.bootstrap([r.best_val for r in ok]),  # type: ignore[misc]
            Interval.bootstrap([r.test for r in ok]),  # type: ignore[misc]
            Interval.bootstrap([r.gap for r in ok]),  # type: ignore[misc]
            search_value,
            tuple(runs),
        )

    def to_dict(self, metric: Metric) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "settings": self.settings,
            "search_validation": self.search_value,
            "validation": self.validation.to_dict(metric),
            "test": self.test.to_dict(metric),
            "gap": self.gap.to_dict(),
            "failures": {**self.failures.to_dict(), "summary": self.failures.summary()},
        }


@dataclass(frozen=True)
class MetaOverfitting:
    """Signs that the loop fits validation at the expense of held-out test.

    Args:
        flagged: Either sign is present.
        falling_test_runs: Winner's final runs whose test fell while validation rose.
        runs_checked: Winner's final runs with a test curve.
        test_below_validation: The winner's val-to-test gap grew beyond the starting
            artifact's own gap, at 95% (bootstrap over its final runs).
        reasons: Human-readable findings.
    """

    flagged: bool
    falling_test_runs: int
    runs_checked: int
    test_below_validation: bool
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, winner: SettingReport) -> MetaOverfitting:
        """Check the winner's final-stage runs."""
        curves = [r for r in winner.runs if len(r.test_curve) >= 2]
        falling = sum(r.test_falls for r in curves)
        excess = [r.excess_gap for r in winner.runs if r.excess_gap is not None]
        grown = Interval.bootstrap(excess) if len(excess) >= 2 else None
        below = grown is not None and grown.low > 0
        reasons = []
        if curves and 2 * falling >= len(curves) and falling:
            reasons.append(f"test fell while validation rose in {falling} of {len(curves)} runs")
        if below:
            reasons.append(
                f"test is below validation by {grown.mean:.4g} more than the starting artifact's gap "  # type: ignore[union-attr]
                f"(95% CI {grown.low:.4g}..{grown.high:.4g}; raw gap {winner.gap.mean:.4g})"  # type: ignore[union-attr]
            )
        return cls(bool(reasons), falling, len(curves), below, tuple(reasons))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "flagged": self.flagged, "falling_test_runs": self.falling_test_runs, "runs_checked": self.runs_checked,
            "test_below_validation": self.test_below_validation, "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Recommendation:
    """The outcome of a study.

    Scores are internal (higher is better); ``to_dict`` adds each in the metric's own units
    under ``display`` (e.g. RMSE positive again).

    Args:
        task: Task name.
        metric: How its scores read.
        settings: The chosen loop settings (without seed).
        winner: The chosen setting's validation and test: over fresh seeds in the final stage
            (Optuna samplers), or over its own seeds (best-arm rules: each run's test is
            scored once at its end and read only here, never for choosing).
        runners_up: The other re-checked settings, best validation first (best-arm rules: the
            settings indistinguishable from the pick).
        runs: Every run of the study, search and final stage.
        meta_overfitting: The winner's meta-overfitting check.
        spent: Iterations, tokens and seconds spent, next to the budget.
        trials: Trial counts by state.
        stop_reason: Why the search ended: a budget limit (``iterations``, ``tokens``,
            ``seconds``), ``space`` (an Optuna sampler tried every setting), ``confident``
            (a best-arm search is certain of its pick) or ``seeds`` (no setting may get more).
        strategy: The search strategy that ran (a best-arm rule or an Optuna sampler).
        verdict: The pick's probability of being the best and the settings indistinguishable
            from it, from validation over paired seeds (``None`` when nothing could be compared).
        infeasible: Settings of the space never run, each with the reason (e.g. its smallest
            prompt cannot fit the LLM's context window).
        warm_start: The prior the study started from (``Prior.to_dict()``: "started from N past
            studies", and how much each counted), or ``None`` for a cold start.
    """

    task: str
    metric: Metric
    settings: dict[str, Any]
    winner: SettingReport
    runners_up: tuple[SettingReport, ...]
    runs: tuple[RunRecord, ...]
    meta_overfitting: MetaOverfitting
    spent: dict[str, Any]
    trials: dict[str, int]
    stop_reason: str
    strategy: str = ""
    verdict: Verdict | None = None
    infeasible: tuple[tuple[dict[str, Any], str], ...] = ()
    warm_start: dict[str, Any] | None = None

    @property
    def validation(self) -> Interval:
        """The winner's validation over fresh seeds."""
        return self.winner.validation

    @property
    def test(self) -> Interval:
        """The winner's test over fresh seeds."""
        return self.winner.test

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, scores both internal and in metric units."""
        m = self.metric
        return {
            "task": self.task,
            "metric": {"name": m.name, "higher_is_better": m.higher_is_better},
            "scores": "internal values are higher-is-better; 'display' holds the metric's own units",
            "settings": self.settings,
            "validation": self.validation.to_dict(m),
            "test": self.test.to_dict(m),
            "gap": self.winner.gap.to_dict(),
            "runners_up": [r.to_dict(m) for r in self.runners_up],
            "meta_overfitting": self.meta_overfitting.to_dict(),
            "runs": [r.to_dict(m) for r in self.runs],
            "spent": self.spent,
            "trials": self.trials,
            "stop_reason": self.stop_reason,
            "strategy": self.strategy,
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
            "failures": {**self.failures.to_dict(), "summary": self.failures.summary()},
            "artifact": self.best_artifact(),
            "infeasible": [{"settings": settings, "reason": reason} for settings, reason in self.infeasible],
            "warm_start": self.warm_start,
        }

    @property
    def failures(self) -> FailureTally:
        """The tally over every run of the study."""
        return FailureTally.total(r.failures for r in self.runs)

    def best_artifact(self) -> dict[str, Any] | None:
        """The pick's best artifact (from its run with the highest validation) and the starting
        artifact it revised, or ``None`` when no run of the pick recorded one."""
        runs = [r for r in self.winner.runs if r.artifact and r.best_val is not None]
        if not runs:
            return None
        best = max(runs, key=lambda r: r.best_val)  # type: ignore[arg-type, return-value]
        return {"run_id": best.run_id, "best": best.artifact, "start": best.start_artifact}
