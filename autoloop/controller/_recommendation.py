"""The Recommendation a study returns: settings, scores with intervals, runners-up, evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autoloop.client import RecommendationData
from autoloop.controller._interval import Interval
from autoloop.controller._record import RunRecord, outcomes_of
from autoloop.controller._strategy import FINAL_SEED_BASE
from autoloop.controller._verdict import Verdict
from autoloop.failures import FailureTally
from autoloop.tasks import Metric

# Where a setting's numbers come from (SettingReport.source).
CONFIRMED = "fresh confirmation seeds"
OPTIMISTIC = "selected on these runs (optimistic)"


@dataclass(frozen=True)
class SettingReport:
    """A setting's validation and test over its runs that scored test, and where they come from.

    ``source`` says how far the numbers can be trusted: ``fresh confirmation seeds`` when the
    setting was re-run on seeds no choice read (an Optuna strategy's re-check: the estimate is
    unbiased), else ``selected on these runs (optimistic)``: the runs that chose the setting
    also estimate it, and a setting chosen for its luck scores lower on a fresh run.
    """

    settings: dict[str, Any]
    validation: Interval
    test: Interval
    gap: Interval
    search_value: float | None
    runs: tuple[RunRecord, ...] = field(repr=False)
    source: str = OPTIMISTIC

    @property
    def failures(self) -> FailureTally:
        """The tally over all its runs."""
        return FailureTally.total(o.failures for o in outcomes_of(self.runs))

    @classmethod
    def of(
        cls, settings: dict[str, Any], search_value: float | None, runs: Sequence[RunRecord], *, confirmed: bool = True
    ) -> SettingReport:
        """Summarize ``runs`` of ``settings``: over the confirmation runs when there are, else
        over every run that scored test (``confirmed=False``: the confirmation runs were read to
        choose, so their estimate is optimistic too).

        Raises:
            ValueError: No run of the setting scored test.
        """
        tested = [r for r in runs if r.test is not None and r.best_val is not None]
        fresh = [r for r in tested if r.settings.get("seed", 0) >= FINAL_SEED_BASE]
        ok = fresh or tested
        if not ok:
            raise ValueError(f"no run of {settings} scored test; see their errors")
        return cls(
            settings,
            Interval.of([r.best_val for r in ok]),  # type: ignore[misc]
            Interval.of([r.test for r in ok]),  # type: ignore[misc]
            Interval.of([r.gap for r in ok]),  # type: ignore[misc]
            search_value,
            tuple(runs),
            CONFIRMED if fresh and confirmed else OPTIMISTIC,
        )

    def to_dict(self, metric: Metric) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "settings": self.settings,
            "search_validation": None if self.search_value is None else metric.display(self.search_value),
            "validation": self.validation.to_dict(metric),
            "test": {**self.test.to_dict(metric), "source": self.source},
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
            artifact's own gap, at 95% (t-interval over its runs).
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
        curves = [r for r in winner.runs if r.outcome is not None and len(r.outcome.test_curve) >= 2]
        falling = sum(r.test_falls for r in curves)
        excess = [r.excess_gap for r in winner.runs if r.excess_gap is not None]
        grown = Interval.of(excess) if len(excess) >= 2 else None
        below = grown is not None and grown.low is not None and grown.low > 0
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

    Scores are internal (higher is better); ``to_dict`` gives each in the metric's own units
    (RMSE positive again, lower is better) and states the direction once, under ``metric``.

    Args:
        task: Task name.
        metric: How its scores read.
        settings: The chosen loop settings (without seed).
        winner: The chosen setting's validation and test: over fresh confirmation seeds when
            the strategy re-checks (Optuna samplers), else over its own seeds, labelled
            optimistic (``SettingReport.source``; test is read only here, never for choosing).
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
        """The winner's setting-level test (see ``SettingReport.source`` for how far to trust it)."""
        return self.winner.test

    def returned_run(self) -> RunRecord | None:
        """The pick's run whose artifact the study returns: of its runs that scored test, the
        highest score (re-validation when present, else best validation; test never chooses)."""
        runs = [r for r in self.winner.runs if r.test is not None and r.score is not None]
        return max(runs, key=lambda r: r.score, default=None)  # type: ignore[arg-type, return-value]

    @property
    def returned_test(self) -> Interval | None:
        """The returned artifact's test score with a 95% t-interval over test instances (its
        per-instance scores; one value without them), ``None`` when no run of the pick scored test."""
        run = self.returned_run()
        if run is None:
            return None
        return Interval.of(run.outcome.test_scores or [run.test], unit="test instances")  # type: ignore[union-attr, list-item]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, every score in the metric's own units (direction under ``metric``)."""
        m = self.metric
        return {
            "task": self.task,
            "metric": m.to_dict(),
            "settings": self.settings,
            "validation": self.validation.to_dict(m),
            "test": {**self.test.to_dict(m), "source": self.winner.source},
            "returned_test": self._returned_test(),
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
            "warnings": list(self.warnings),
            "warm_start": self.warm_start,
        }

    @property
    def warnings(self) -> tuple[str, ...]:
        """What makes the verdict meaningless, in words: every run's validation flat at one value
        from its starting artifact on (a task at its ceiling, or one no change can move)."""
        points = {v for o in outcomes_of(self.runs) for _, v in o.curve}
        settings = {tuple(sorted((k, v) for k, v in o.settings.items() if k != "seed")) for o in outcomes_of(self.runs) if o.curve}
        if len(points) != 1 or len(settings) < 2:
            return ()
        shown = f"{self.metric.name} {self.metric.display(points.pop()):.4g}"
        return (
            f"every run of every setting scored {shown} on validation from its starting artifact on and never moved: "
            "this task cannot tell the settings apart (it is at its ceiling, or nothing the optimizer changes matters); "
            "use a harder task, another split or another metric",
        )

    def __str__(self) -> str:
        """A short summary: settings, validation and test in the metric's units, the verdict."""
        return str(RecommendationData(self.to_dict()))

    @property
    def failures(self) -> FailureTally:
        """The tally over every run of the study."""
        return FailureTally.total(o.failures for o in outcomes_of(self.runs))

    def best_artifact(self) -> dict[str, Any] | None:
        """The returned artifact (``returned_run``'s best) and the starting artifact it revised,
        or ``None`` when that run recorded none."""
        run = self.returned_run()
        if run is None or run.outcome is None or not run.outcome.best_artifact:
            return None
        return {"run_id": run.run_id, "best": run.outcome.best_artifact, "start": run.outcome.start_artifact or None}

    def _returned_test(self) -> dict[str, Any] | None:
        interval, run = self.returned_test, self.returned_run()
        return None if interval is None or run is None else {**interval.to_dict(self.metric), "run_id": run.run_id}
