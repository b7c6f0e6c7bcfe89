"""StudyData: the part of a study's recommendation a report shows, typed, in the metric's units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autoloop.controller import Interval, setting_label
from autoloop.errors import ConfigError
from autoloop.failures import FailureTally
from autoloop.tasks import Metric

# Knobs shown in a setting's name even when the study searched none of them.
_MAIN_KNOBS = ("starting_artifact", "credit_horizon", "batch_size")
_NOT_KNOBS = ("seed",)


@dataclass(frozen=True)
class RunView:
    """One loop run as the report draws it; scores in the metric's units.

    Args:
        run_id: Its job id.
        setting: The name of its setting (the searched knobs, e.g. ``many_functions/h1/b3``).
        seed: Its seed.
        val: Best validation (``None`` if it failed).
        test: Test score of its best artifact, when it was scored.
        gap: How much worse test is than validation, in the metric's units (positive = test worse).
        curve: ``(iteration, validation)`` points.
        iterations: Iterations it ran; tokens: LLM tokens; seconds: wall time.
        failures: Its candidate evaluations, how many failed and why.
        error: Why the run failed, if it did.
        ended_at: When the controller recorded its end (Unix time), if known.
        revalidation: Its returned artifact scored once on the revalidation split (``None``:
            stopped from outside, or a record without it).
        revalidation_cost: ``(evaluations, tokens, seconds)`` of that re-validation.
    """

    run_id: str
    setting: str
    seed: int
    val: float | None
    test: float | None
    gap: float | None
    curve: tuple[tuple[int, float], ...]
    iterations: int
    tokens: int
    seconds: float
    failures: FailureTally
    error: str | None
    ended_at: float | None
    revalidation: float | None = None
    revalidation_cost: tuple[int, int, float] = (0, 0, 0.0)


@dataclass(frozen=True)
class StudyData:
    """What a study report shows, read from a recommendation (``Recommendation.to_dict()``,
    the JSON of ``autoloop tune --json`` and of ``GET /v1/studies/{id}/recommendation``).

    Args:
        task: Task name.
        metric: How its scores read.
        strategy: The search strategy that ran.
        stop_reason: Why the search ended.
        pick: Name of the recommended setting.
        settings: The recommended loop settings.
        verdict: The verdict (``Verdict.to_dict()``), if the study had one.
        validation: The pick's validation (``Interval.to_dict(metric)``); test: its test.
        runs: Every run, in the order they ended.
        settings_order: Setting names, the pick first, then by mean validation.
        spent: Iterations, tokens and seconds spent, next to the budget.
        meta_overfitting: The pick's meta-overfitting check (``MetaOverfitting.to_dict()``).
        artifact: The pick's best artifact and the starting artifact (``Recommendation.best_artifact()``).
        knobs: The knobs a setting's name is made of (the space's, as in the verdict's text).
        warnings: What makes the verdict meaningless (``Recommendation.warnings``), if anything.
        estimate: The plan's estimate made before the first run (``autoloop tune --json`` carries it), if any.
        returned_test: The returned artifact's test score with its 95% interval over test instances
            and the run it came from (``Recommendation.returned_test``), if any run of the pick scored test.
    """

    task: str
    metric: Metric
    strategy: str
    stop_reason: str
    pick: str
    settings: dict[str, Any]
    verdict: dict[str, Any] | None
    validation: dict[str, Any]
    test: dict[str, Any]
    runs: tuple[RunView, ...]
    settings_order: tuple[str, ...]
    spent: dict[str, Any]
    meta_overfitting: dict[str, Any]
    artifact: dict[str, Any] | None
    knobs: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    estimate: dict[str, Any] | None = None
    returned_test: dict[str, Any] | None = None

    @classmethod
    def from_recommendation(cls, data: dict[str, Any]) -> StudyData:
        """Read a recommendation dict.

        Raises:
            ConfigError: It is not a single-task recommendation (e.g. a suite's result) or has no runs.
        """
        missing = [k for k in ("task", "metric", "settings", "runs", "validation", "test") if k not in data]
        if missing:
            raise ConfigError(f"not a study recommendation (missing {missing}); pass the JSON of `autoloop tune --json` or a study id")
        if not data["runs"]:
            raise ConfigError("the recommendation lists no runs; it was written by an older autoloop, run the study again")
        metric = Metric(data["metric"]["name"], data["metric"]["higher_is_better"])
        verdict = data.get("verdict")
        # Named as the verdict names them (every knob of the space); else by the knobs the runs varied.
        knobs = tuple(verdict["pick"]) if verdict else _searched_knobs([r["settings"] for r in data["runs"]])
        runs = sorted((_run(r, knobs) for r in data["runs"]), key=lambda r: (r.ended_at is None, r.ended_at or 0.0))
        pick = _name(data["settings"], knobs)
        return cls(
            task=data["task"], metric=metric, strategy=data.get("strategy", ""), stop_reason=data.get("stop_reason", ""),
            pick=pick, settings=data["settings"], verdict=verdict, validation=data["validation"], test=data["test"],
            runs=tuple(runs), settings_order=_order(runs, pick, metric), spent=data.get("spent", {}),
            meta_overfitting=data.get("meta_overfitting", {}), artifact=data.get("artifact"), knobs=knobs,
            warnings=tuple(data.get("warnings", ())),
            estimate=data.get("estimate"), returned_test=data.get("returned_test"),
        )

    def name_of(self, settings: dict[str, Any]) -> str:
        """The name ``settings`` (e.g. a setting of the verdict) has in the report."""
        return _name(settings, self.knobs)

    def dollars_of(self, setting: str) -> float | None:
        """Dollars the setting's runs spent (``None``: unknown, e.g. the model has no price)."""
        rows = [r for r in self.spent.get("per_setting", []) if self.name_of(r["settings"]) == setting]
        return rows[0]["dollars"] if rows else None

    def runs_of(self, setting: str) -> list[RunView]:
        """The runs of one setting, in the order they ended."""
        return [r for r in self.runs if r.setting == setting]


def interval(values: Sequence[float]) -> Interval | None:
    """Mean and 95% t-interval of ``values`` (``None`` when there are none)."""
    return Interval.of(values) if values else None


def _searched_knobs(settings: list[dict[str, Any]]) -> tuple[str, ...]:
    """The knobs whose values differ between runs; the main three when none differ."""
    keys = [k for k in settings[0] if k not in _NOT_KNOBS]
    varied = tuple(k for k in keys if len({repr(s.get(k)) for s in settings}) > 1)
    return varied or tuple(k for k in _MAIN_KNOBS if k in settings[0])


def _name(settings: dict[str, Any], knobs: tuple[str, ...]) -> str:
    return setting_label({k: settings[k] for k in knobs if k in settings})


def _run(data: dict[str, Any], knobs: tuple[str, ...]) -> RunView:
    """A run of the recommendation's JSON, whose scores are already in the metric's units."""
    return RunView(
        run_id=data["run_id"], setting=_name(data["settings"], knobs), seed=int(data["settings"].get("seed", 0)),
        val=data.get("best_val"), test=data.get("test"), gap=data.get("gap"),
        curve=tuple((int(i), float(v)) for i, v in data.get("curve", [])),
        iterations=int(data.get("iterations", 0)), tokens=int(data.get("tokens", 0)), seconds=float(data.get("seconds", 0.0)),
        failures=FailureTally.from_dict(data["failures"]), error=data.get("error"), ended_at=data.get("ended_at"),
        revalidation=data.get("revalidation"),
        revalidation_cost=(
            int(data.get("revalidation_evaluations", 0)), int(data.get("revalidation_tokens", 0)), float(data.get("revalidation_seconds", 0.0))
        ),
    )


def _order(runs: list[RunView], pick: str, metric: Metric) -> tuple[str, ...]:
    """The pick first, then the others by mean validation, best first (never-scored ones last)."""
    names = {r.setting for r in runs} | {pick}
    means = {n: [r.val for r in runs if r.setting == n and r.val is not None] for n in names}

    def rank(name: str) -> tuple[bool, float]:
        values = means[name]
        return (not values, -metric.display(sum(values) / len(values)) if values else 0.0)  # display() maps back to higher-is-better

    return (pick, *sorted(names - {pick}, key=lambda n: (*rank(n), n)))
