"""Robust defaults: the setting that does best over a suite of tasks, and whether it transfers.

The input is a score table: task -> setting -> ``Cell`` (a mean score, internal, higher is
better, with its standard error when known). Only settings scored on every task compete
(they are the only ones whose regret can be measured everywhere).

- **Normalized regret** on a task: ``(best - value) / (best - worst)`` over the competing
  settings, so 0 is the task's own pick and 1 its worst setting; every task weighs the same
  whatever its metric's units. A task whose settings all score alike gives every setting 0.
- **Rank** on a task: 1 = best, ties share their mean rank.
- **The default** has the lowest mean normalized regret (``aggregate="normalized"``, ties
  broken by mean rank, then worst case) or the lowest mean rank (``"rank"``, ties broken by
  mean regret); both figures and the worst case over tasks are reported for every setting.
- **Leave one task out**: for each task, the default chosen on the other tasks alone, and its
  regret on the task left out against that task's own pick. This is the number that says
  whether the default transfers to a task it was not chosen on. The default *does not
  transfer* to a task when that regret exceeds ``tolerance`` (normalized) and, where
  standard errors are known, the gap to the task's own pick exceeds twice the standard error
  of the difference (a gap within noise is not evidence against the default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autoloop.errors import ConfigError

DEFAULT_AGGREGATE = "normalized"
AGGREGATES = ("normalized", "rank")
# Normalized regret above which a held-out task counts as one the default does not transfer to.
DEFAULT_TOLERANCE = 0.1
# Relative difference under which two scores are equal: runs that repeat each other give means
# that differ in the last bits only, and normalizing that would turn rounding into regret.
_EQUAL = 1e-9

SettingKey = tuple[tuple[str, Any], ...]


def setting_key(settings: Mapping[str, Any]) -> SettingKey:
    """A hashable key for a setting (knob order does not matter)."""
    return tuple(sorted(settings.items()))


@dataclass(frozen=True)
class Cell:
    """One setting's score on one task.

    Args:
        mean: Mean score (internal: higher is better).
        se: Its standard error, when the runs allow one.
        runs: Runs it rests on.
    """

    mean: float
    se: float | None = None
    runs: int = 1


ScoreTable = Mapping[str, Mapping[SettingKey, Cell]]


@dataclass(frozen=True)
class Standing:
    """How one setting does over a set of tasks."""

    settings: SettingKey
    mean_regret: float
    mean_rank: float
    worst_regret: float
    worst_task: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "settings": dict(self.settings), "mean_regret": self.mean_regret, "mean_rank": self.mean_rank,
            "worst_regret": self.worst_regret, "worst_task": self.worst_task,
        }


@dataclass(frozen=True)
class HeldOut:
    """The default chosen without ``task``, judged on ``task``.

    Args:
        task: The task left out.
        default: The setting chosen on the other tasks.
        own_pick: The task's own best setting.
        regret: Normalized regret of ``default`` on ``task`` (0 = its own pick).
        gap: The same regret in internal score units (own pick minus default).
        noise: Twice the standard error of that gap (``None`` when the scores have none).
        transfers: False when the regret is beyond the tolerance and the gap beyond ``noise``.
    """

    task: str
    default: SettingKey
    own_pick: SettingKey
    regret: float
    gap: float
    noise: float | None
    transfers: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "task": self.task, "default": dict(self.default), "regret": self.regret, "own_pick": dict(self.own_pick),
            "gap": self.gap, "noise": self.noise, "transfers": self.transfers,
        }


@dataclass(frozen=True)
class RobustDefaults:
    """The suite's default, every competing setting's standing and the leave-one-task-out check."""

    pick: SettingKey
    method: str
    standings: tuple[Standing, ...]
    held_out: tuple[HeldOut, ...]
    tolerance: float
    left_out_settings: int
    pick_regrets: dict[str, float]

    @classmethod
    def of(cls, table: ScoreTable, *, aggregate: str = DEFAULT_AGGREGATE, tolerance: float = DEFAULT_TOLERANCE) -> RobustDefaults:
        """Choose the default of ``table`` and check it task by task.

        Args:
            table: Task -> setting -> its score.
            aggregate: ``normalized`` (mean normalized regret) or ``rank`` (mean rank).
            tolerance: Normalized regret beyond which a held-out task counts against transfer.

        Raises:
            ConfigError: Fewer than two tasks, no setting scored on every task, or an unknown aggregate.
        """
        if aggregate not in AGGREGATES:
            raise ConfigError(f"unknown aggregate {aggregate!r}; choose one of {', '.join(AGGREGATES)}")
        if not 0 <= tolerance <= 1:
            raise ConfigError(f"tolerance is a normalized regret in [0, 1], got {tolerance=}")
        tasks = sorted(table)
        if len(tasks) < 2:
            raise ConfigError(f"robust defaults need at least two tasks with scores, got {tasks}; add tasks or finished studies")
        every = [set(table[t]) for t in tasks]
        common = sorted(set.intersection(*every))
        if not common:
            raise ConfigError(f"no setting was scored on every one of {tasks}; restrict the space to settings they share")
        standings = _standings(table, tasks, common)
        held_out = tuple(_held_out(table, task, [t for t in tasks if t != task], common, aggregate, tolerance) for task in tasks)
        left_out = len(set.union(*every)) - len(common)
        pick = _best(standings, aggregate).settings
        regrets = {t: normalized_regrets(table[t], common)[pick] for t in tasks}
        return cls(pick, aggregate, tuple(standings), held_out, tolerance, left_out, regrets)

    @property
    def not_transferring(self) -> tuple[HeldOut, ...]:
        """Held-out tasks the default chosen without them does not transfer to, worst first."""
        return tuple(sorted((h for h in self.held_out if not h.transfers), key=lambda h: -h.regret))

    @property
    def standing(self) -> Standing:
        """The pick's own standing."""
        return next(s for s in self.standings if s.settings == self.pick)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``pick``, ``aggregate``, the pick's ``regret_per_task`` (chosen with every task),
        ``leave_one_task_out`` and the tasks it does not transfer to."""
        regrets = [h.regret for h in self.held_out]
        return {
            "pick": dict(self.pick),
            "aggregate": {
                "method": self.method, **{k: v for k, v in self.standing.to_dict().items() if k != "settings"},
                "settings": [s.to_dict() for s in self.standings],
            },
            "regret_per_task": self.pick_regrets,
            "leave_one_task_out": [h.to_dict() for h in self.held_out],
            "loto_mean_regret": sum(regrets) / len(regrets),
            "loto_worst_regret": max(regrets),
            "does_not_transfer": [{"task": h.task, "regret": h.regret, "gap": h.gap} for h in self.not_transferring],
            "tolerance": self.tolerance,
            "settings_not_on_every_task": self.left_out_settings,
        }


def normalized_regrets(row: Mapping[SettingKey, Cell], keys: Sequence[SettingKey]) -> dict[SettingKey, float]:
    """``(best - value) / (best - worst)`` of each of ``keys`` on one task (all 0 when they tie)."""
    values = [row[k].mean for k in keys]
    hi, lo = max(values), min(values)
    rounding = _EQUAL * max(1.0, abs(hi), abs(lo))
    if hi - lo <= rounding:
        return dict.fromkeys(keys, 0.0)
    return {k: 0.0 if hi - row[k].mean <= rounding else (hi - row[k].mean) / (hi - lo) for k in keys}


def ranks(row: Mapping[SettingKey, Cell], keys: Sequence[SettingKey]) -> dict[SettingKey, float]:
    """Rank of each of ``keys`` on one task: 1 = best, ties (equal within rounding) share their mean rank."""
    values = [row[k].mean for k in keys]
    scale = _EQUAL * max(1.0, *(abs(v) for v in values))

    def rank(x: float) -> float:
        above = sum(v - x > scale for v in values)
        return above + (sum(abs(v - x) <= scale for v in values) + 1) / 2

    return {k: rank(row[k].mean) for k in keys}


def _standings(table: ScoreTable, tasks: Sequence[str], keys: Sequence[SettingKey]) -> list[Standing]:
    regret = {t: normalized_regrets(table[t], keys) for t in tasks}
    rank = {t: ranks(table[t], keys) for t in tasks}
    out = []
    for k in keys:
        worst = max(tasks, key=lambda t: regret[t][k])
        out.append(Standing(
            k, sum(regret[t][k] for t in tasks) / len(tasks), sum(rank[t][k] for t in tasks) / len(tasks), regret[worst][k], worst,
        ))
    return out


def _best(standings: Sequence[Standing], aggregate: str) -> Standing:
    if aggregate == "rank":
        return min(standings, key=lambda s: (s.mean_rank, s.mean_regret, s.worst_regret))
    return min(standings, key=lambda s: (s.mean_regret, s.mean_rank, s.worst_regret))


def _held_out(
    table: ScoreTable, task: str, others: Sequence[str], keys: Sequence[SettingKey], aggregate: str, tolerance: float
) -> HeldOut:
    default = _best(_standings(table, others, keys), aggregate).settings
    row = table[task]
    regrets = normalized_regrets(row, keys)
    regret = regrets[default]
    # the task's own pick is its best setting; the default itself when it ties for best (within rounding)
    own = default if regret == 0 else min(keys, key=lambda k: (regrets[k], -row[k].mean, keys.index(k)))
    gap = row[own].mean - row[default].mean
    ses = (row[own].se, row[default].se)
    noise = None if None in ses else 0.0 if default == own else 2 * (ses[0] ** 2 + ses[1] ** 2) ** 0.5  # type: ignore[operator]
    return HeldOut(task, default, own, regret, gap, noise, transfers=regret <= tolerance or gap <= (noise or 0.0))
