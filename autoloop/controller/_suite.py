"""Suites: one loop setting for several tasks, and where the per-task optima differ."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autoloop.controller._budget import Budget
from autoloop.controller._controller import Controller
from autoloop.controller._recommendation import Recommendation, SettingReport
from autoloop.controller._space import SearchSpace
from autoloop.errors import ConfigError
from autoloop.tasks import Metric

AGGREGATES = ("normalized", "rank")

ControllerFactory = Callable[[str, SearchSpace, Budget], Controller]


@dataclass(frozen=True)
class SuiteTask:
    """How the suite's setting does on one task, next to the task's own best."""

    task: str
    metric: Metric
    suite_report: SettingReport
    own_best: SettingReport
    recommendation: Recommendation

    @property
    def differs(self) -> bool:
        """The task's own recommendation is another setting."""
        return self.own_best.settings != self.suite_report.settings

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "task": self.task, "differs": self.differs,
            "suite_setting": self.suite_report.to_dict(self.metric), "own_best": self.own_best.to_dict(self.metric),
            "recommendation": self.recommendation.to_dict(),
        }


@dataclass(frozen=True)
class SuiteResult:
    """The setting chosen for all tasks, by validation aggregated over tasks (test never selects)."""

    settings: dict[str, Any]
    aggregate: str
    scores: dict[str, float]
    per_task: tuple[SuiteTask, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "settings": self.settings, "aggregate": self.aggregate, "candidate_scores": self.scores,
            "tasks_where_optima_differ": [t.task for t in self.per_task if t.differs],
            "per_task": [t.to_dict() for t in self.per_task],
        }


def shared_space(spaces: Sequence[SearchSpace]) -> SearchSpace:
    """Values every task accepts, knob by knob.

    Raises:
        ConfigError: Some knob has no value in common (e.g. tasks of different families).
    """
    first, *rest = spaces
    choices = {}
    for knob in first.knobs:
        values = tuple(v for v in first.choices[knob] if all(v in s.choices.get(knob, ()) for s in rest))
        if not values:
            raise ConfigError(f"the suite's tasks share no {knob} value; restrict with --space or pick tasks of one family")
        choices[knob] = values
    return SearchSpace(choices)


def share_budget(budget: Budget, tasks: int) -> Budget:
    """Each task's equal share of a suite's budget."""
    return Budget(
        budget.iterations // tasks if budget.iterations else None,
        budget.tokens // tasks if budget.tokens else None,
        budget.seconds / tasks if budget.seconds else None,
    )


def aggregate_scores(table: dict[str, dict[tuple, float]], how: str) -> dict[tuple, float]:
    """Combine per-task validation means of each candidate: higher is better for both methods.

    ``normalized``: per task, (value - worst) / (best - worst), averaged. ``rank``: minus the
    mean rank (1 = best on a task, ties share the mean rank).
    """
    if how not in AGGREGATES:
        raise ConfigError(f"unknown aggregate {how!r}; choose one of {', '.join(AGGREGATES)}")
    totals: dict[tuple, float] = {}
    for values in table.values():
        lo, hi = min(values.values()), max(values.values())
        for key, v in values.items():
            if how == "normalized":
                score = (v - lo) / (hi - lo) if hi > lo else 1.0
            else:
                above = sum(o > v for o in values.values())
                ties = sum(o == v for o in values.values())
                score = -(above + (ties + 1) / 2)
            totals[key] = totals.get(key, 0.0) + score / len(table)
    return totals


def run_suite(
    tasks: Sequence[str], spaces: dict[str, SearchSpace], budget: Budget, make_controller: ControllerFactory, *, aggregate: str = "normalized"
) -> SuiteResult:
    """Tune each task on the shared space (an equal budget share each), re-check every task's
    finalists on every other task with fresh seeds, and pick the setting with the best
    aggregated validation.
    """
    if len(tasks) < 2:
        raise ConfigError("a suite needs at least two tasks: --suite TASK,TASK")
    space = shared_space([spaces[t] for t in tasks])
    share = share_budget(budget, len(tasks))
    controllers = {t: make_controller(t, space, share) for t in tasks}
    recs = {t: c.run() for t, c in controllers.items()}
    reports: dict[str, dict[tuple, SettingReport]] = {
        t: {_key(r.settings): r for r in (rec.winner, *rec.runners_up)} for t, rec in recs.items()
    }
    candidates = {k: r.settings for per in reports.values() for k, r in per.items()}
    for task, per in reports.items():
        missing = [s for k, s in candidates.items() if k not in per]
        for report in controllers[task].recheck(missing) if missing else []:
            per[_key(report.settings)] = report
    table = {t: {k: r.validation.mean for k, r in per.items()} for t, per in reports.items()}
    scores = aggregate_scores(table, aggregate)
    best = max(scores, key=lambda k: scores[k])
    per_task = tuple(SuiteTask(t, recs[t].metric, reports[t][best], recs[t].winner, recs[t]) for t in tasks)
    return SuiteResult(candidates[best], aggregate, {_label(candidates[k]): v for k, v in scores.items()}, per_task)


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))


def _label(settings: dict[str, Any]) -> str:
    return ";".join(f"{k}={v}" for k, v in settings.items())
