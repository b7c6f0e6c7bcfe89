"""Suites: one loop setting for several tasks, and where the per-task optima differ."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autoloop.controller._budget import Budget
from autoloop.controller._controller import Controller
from autoloop.controller._defaults import AGGREGATES, Cell, RobustDefaults, Standing, normalized_regrets, ranks
from autoloop.controller._recommendation import Recommendation, SettingReport
from autoloop.controller._scores import Evidence, evidence_of_runs, portable_key
from autoloop.controller._space import SearchSpace
from autoloop.errors import ConfigError
from autoloop.tasks import Metric

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
    """The setting chosen for all tasks, by validation aggregated over tasks (test never selects),
    with the leave-one-task-out check of that choice (``robust``) and the runs it rests on."""

    settings: dict[str, Any]
    aggregate: str
    scores: dict[str, float]
    per_task: tuple[SuiteTask, ...]
    robust: RobustDefaults
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "settings": self.settings, "aggregate": self.aggregate, "candidate_scores": self.scores,
            "tasks_where_optima_differ": [t.task for t in self.per_task if t.differs],
            "per_task": [t.to_dict() for t in self.per_task],
            "robust_defaults": {**self.robust.to_dict(), "evidence": self.evidence.to_dict()},
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

    ``normalized``: per task, (value - worst) / (best - worst) (1 minus the normalized
    regret), averaged. ``rank``: minus the mean rank (1 = best on a task, ties share the mean rank).
    """
    if how not in AGGREGATES:
        raise ConfigError(f"unknown aggregate {how!r}; choose one of {', '.join(AGGREGATES)}")
    totals: dict[tuple, float] = {}
    for values in table.values():
        row = {key: Cell(v) for key, v in values.items()}
        per = {k: 1 - r for k, r in normalized_regrets(row, list(row)).items()} if how == "normalized" else ranks(row, list(row))
        for key, score in per.items():
            totals[key] = totals.get(key, 0.0) + (score if how == "normalized" else -score) / len(table)
    return totals


def run_suite(
    tasks: Sequence[str], spaces: dict[str, SearchSpace], budget: Budget, make_controller: ControllerFactory, *, aggregate: str = "normalized"
) -> SuiteResult:
    """Tune each task on the shared space (an equal budget share each), re-check every task's
    finalists on every other task with fresh seeds, and pick the finalist with the best
    aggregate over tasks (``RobustDefaults``: scores from every finished run of the task,
    re-validation where runs carry it), checked by leaving each task out in turn.
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
    evidence = evidence_of_runs(_recheck_finalists(reports, candidates, controllers, recs))
    # a report's settings name the searched knobs only; its runs carry the plan's fixed knobs too
    finalists = {portable_key(per[k].runs[0].settings): k for per in reports.values() for k in per}
    robust = RobustDefaults.of({t: {k: c for k, c in row.items() if k in finalists} for t, row in evidence.table.items()}, aggregate=aggregate)
    best = finalists[robust.pick]
    per_task = tuple(SuiteTask(t, recs[t].metric, reports[t][best], recs[t].winner, recs[t]) for t in tasks)
    scores = {_label(candidates[finalists[s.settings]]): _aggregate_score(s, aggregate) for s in robust.standings}
    return SuiteResult(candidates[best], aggregate, scores, per_task, robust, evidence)


def _recheck_finalists(
    reports: dict[str, dict[tuple, SettingReport]], candidates: dict[tuple, dict[str, Any]],
    controllers: dict[str, Controller], recs: dict[str, Recommendation],
) -> dict[str, list[dict[str, Any]]]:
    """Run every task's missing finalists on fresh seeds (``reports`` gains them); every task's runs as JSON."""
    runs = {t: [r.to_dict(rec.metric) for r in rec.runs] for t, rec in recs.items()}
    for task, per in reports.items():
        missing = [s for k, s in candidates.items() if k not in per]
        for report in controllers[task].recheck(missing) if missing else []:
            per[_key(report.settings)] = report
            runs[task].extend(r.to_dict(recs[task].metric) for r in report.runs)
    return runs


def _aggregate_score(standing: Standing, aggregate: str) -> float:
    """Higher is better: one minus the mean normalized regret, or the negated mean rank."""
    return 1 - standing.mean_regret if aggregate == "normalized" else -standing.mean_rank


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))


def _label(settings: dict[str, Any]) -> str:
    return ";".join(f"{k}={v}" for k, v in settings.items())
