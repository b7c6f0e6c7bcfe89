"""Score tables for robust defaults: each setting's score on each task, read from finished runs.

A run counts when it ended on its own (not failed, not stopped early on a partial curve).
Its score is its re-validation score when it carries one (the returned artifact scored on
data the loop never saw), else its best validation. A setting's score on a task is its
seed-adjusted mean over the runs of every study of that task (``Estimates``: seeds are
common random numbers, so a setting tried only on a hard seed is not ranked below one that
also got an easy one), with the standard error the fit's residual noise gives it.

Settings are compared on the search knobs (``KNOBS``: artifact, credit horizon, batch size,
memory, validation interval, patience; not iterations or seed). Tasks of different families
declare different values (``many_functions`` vs ``modular``, batch sizes 1,3,5 vs 1,2,4):
a knob whose declared values differ between the suite's tasks is compared by position in each task's own list (``#1`` = the task's first value: its
structured artifact, its smallest batch), which ``positions`` spells out per task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autoloop.controller._defaults import DEFAULT_AGGREGATE, DEFAULT_TOLERANCE, Cell, RobustDefaults, SettingKey, setting_key
from autoloop.controller._estimates import Estimates
from autoloop.controller._space import KNOBS
from autoloop.errors import ConfigError
from autoloop.tasks import TaskInfo, describe_task

# Knobs whose values a task declares (the others are the same for every task).
TASK_KNOBS = KNOBS[:3]


def run_score(run: Mapping[str, Any]) -> float | None:
    """The score a finished run (``RunRecord.to_dict()``) counts with; ``None`` for a failed run or one the study stopped on a partial curve."""
    if run.get("error") or run.get("stopped") == "stopped" or run.get("best_val") is None:  # cut short by the study, not ended by patience
        return None
    revalidation = run.get("revalidation")  # the returned artifact re-scored on data the loop never saw
    return float(revalidation) if revalidation is not None else float(run["best_val"])


@dataclass(frozen=True)
class Evidence:
    """A score table and what it rests on.

    Args:
        table: Task -> setting key -> its score.
        studies: Task -> studies read.
        runs: Task -> runs that counted.
        positions: Task -> knob -> its declared values, for knobs compared by position.
    """

    table: dict[str, dict[SettingKey, Cell]]
    studies: dict[str, int]
    runs: dict[str, int]
    positions: dict[str, dict[str, list[Any]]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: how many studies and runs each task contributed, and the positional knobs."""
        return {
            "studies": sum(self.studies.values()), "runs": sum(self.runs.values()),
            "per_task": {t: {"studies": self.studies[t], "runs": self.runs[t]} for t in sorted(self.table)},
            "positions": self.positions,
        }


def robust_defaults(
    recommendations: Iterable[Mapping[str, Any]],
    *,
    tasks: Sequence[str] | None = None,
    family: str | None = None,
    aggregate: str = DEFAULT_AGGREGATE,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict[str, Any]:
    """The robust default over finished studies, JSON-ready: ``RobustDefaults.to_dict()`` with the
    ``evidence`` it rests on (studies and runs per task) and the ``tasks`` it covers.

    Args:
        recommendations: Finished studies' recommendations (``Recommendation.to_dict()``).
        tasks: Only these tasks (each needs a finished study).
        family: Only tasks of this family (the part of the name before ``:``).
        aggregate: ``normalized`` or ``rank`` (see ``RobustDefaults.of``).
        tolerance: Normalized regret beyond which a held-out task counts against transfer.

    Raises:
        ConfigError: A named task has no finished study, or fewer than two tasks remain.
    """
    chosen = [r for r in recommendations if _selected(r["task"], tasks, family)]
    found = sorted({r["task"] for r in chosen})
    missing = sorted(set(tasks or ()) - set(found))
    if missing:
        raise ConfigError(f"no finished study of {', '.join(missing)}; finish a study of each task first, or leave it out")
    if len(found) < 2:
        scope = f"family {family!r}" if family else "these tasks" if tasks else "the studies given"
        raise ConfigError(f"robust defaults need finished studies of at least two tasks; {scope} has {found or 'none'}")
    ev = evidence(chosen, {t: describe_task(t) for t in found})
    robust = RobustDefaults.of(ev.table, aggregate=aggregate, tolerance=tolerance)
    return {"tasks": found, **robust.to_dict(), "evidence": ev.to_dict()}


def _selected(task: str, tasks: Sequence[str] | None, family: str | None) -> bool:
    return (tasks is None or task in tasks) and (family is None or task.partition(":")[0] == family)


def evidence(
    recommendations: Iterable[Mapping[str, Any]], infos: Mapping[str, TaskInfo] | None = None, *,
    positional: Sequence[str] | None = None, knobs: Sequence[str] = KNOBS,
) -> Evidence:
    """Score tables from recommendations (``Recommendation.to_dict()``), one or more per task.

    Args:
        recommendations: Finished studies' recommendations (each names its ``task`` and lists its ``runs``).
        infos: What each task declares, to compare knobs by position where the tasks' values
            differ (``None``: values are compared as they are).
        positional: The knobs compared by position (default: those whose declared values
            differ between the tasks of ``infos``).
        knobs: The knobs a setting is keyed by.
    """
    runs: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    studies: dict[str, int] = defaultdict(int)
    for rec in recommendations:
        studies[rec["task"]] += 1
        runs[rec["task"]].extend(rec["runs"])
    return evidence_of_runs(runs, infos, studies=studies, positional=positional, knobs=knobs)


def evidence_of_runs(
    runs: Mapping[str, Sequence[Mapping[str, Any]]], infos: Mapping[str, TaskInfo] | None = None, *,
    studies: Mapping[str, int] | None = None, positional: Sequence[str] | None = None, knobs: Sequence[str] = KNOBS,
) -> Evidence:
    """Score tables from each task's finished runs (``RunRecord.to_dict()``); the rest as for ``evidence``."""
    if positional is None:
        positional = positional_knobs(list(infos.values())) if infos else ()
    table, counted = {}, {}
    for task, task_runs in runs.items():
        values: dict[SettingKey, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        for run in task_runs:
            score = run_score(run)
            if score is not None:
                key = portable_key(run["settings"], infos[task] if infos else None, positional, knobs)
                values[key][int(run["settings"].get("seed", 0))].append(score)
        if values:
            table[task] = cells(values)
            counted[task] = sum(len(v) for seeds in values.values() for v in seeds.values())
    positions = {t: {k: list(_declared(infos[t], k)) for k in positional} for t in table} if infos and positional else {}
    return Evidence(table, {t: (studies or {}).get(t, 1) for t in table}, counted, positions)


def cells(values: Mapping[SettingKey, Mapping[int, Sequence[float]]]) -> dict[SettingKey, Cell]:
    """Each setting's seed-adjusted mean and standard error (repeated seeds are averaged first)."""
    keys = list(values)
    arms = {i: {seed: sum(v) / len(v) for seed, v in values[k].items()} for i, k in enumerate(keys)}
    est = Estimates.of(arms)
    if est is None:
        return {}
    out = {}
    for i, k in enumerate(keys):
        se = None if est.sigma is None else est.sigma / est.seeds[i] ** 0.5
        out[k] = Cell(est.adjusted[i], se, sum(len(v) for v in values[k].values()))
    return out


def portable_key(
    settings: Mapping[str, Any], info: TaskInfo | None = None, positional: Sequence[str] = (), knobs: Sequence[str] = KNOBS
) -> SettingKey:
    """The ``knobs`` of ``settings``, each knob of ``positional`` as its position in ``info`` (``#1``, ...)."""
    key = {}
    for knob in (k for k in knobs if k in settings):
        value = settings[knob]
        declared = _declared(info, knob) if info is not None and knob in positional else ()
        key[knob] = f"#{declared.index(value) + 1}" if value in declared else value
    return setting_key(key)


def positional_knobs(infos: Sequence[TaskInfo]) -> tuple[str, ...]:
    """Knobs whose declared values differ between the tasks (compared by position)."""
    return tuple(k for k in TASK_KNOBS if len({_declared(i, k) for i in infos}) > 1)


def _declared(info: TaskInfo, knob: str) -> tuple[Any, ...]:
    return {"starting_artifact": info.artifacts, "credit_horizon": info.horizons, "batch_size": info.batch_sizes}[knob]
