"""The recorded grid: every (setting, seed) run of a task, and the ground truth derived from it."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

Setting = tuple[str, int, int]  # starting_artifact, credit_horizon, batch_size
KNOBS = ("starting_artifact", "credit_horizon", "batch_size")


@dataclass(frozen=True)
class Run:
    """One recorded loop run: validation after every iteration (0 = the starting artifact) and final test.

    ``true_test`` is the setting's expected test score when it is known (synthetic tables,
    the row's optional ``true_test`` field); recorded runs leave it ``None``. ``revalidation``
    is the returned artifact re-scored once at the run's end (rows recorded before it existed
    lack it).
    """

    seed: int
    curve: tuple[float, ...]
    test: float
    test_curve: tuple[tuple[float, ...], ...]
    true_test: float | None = None
    revalidation: float | None = None

    @property
    def iterations(self) -> int:
        """Iterations the run took."""
        return len(self.curve) - 1

    def best_val(self, iterations: int) -> float:
        """Best validation within the first ``iterations`` iterations."""
        return max(self.curve[: iterations + 1])

    def rank_value(self, iterations: int) -> float:
        """What the run is ranked by after ``iterations``: its re-validation when the run went
        to its end and the row has one, else its best validation."""
        if self.revalidation is not None and iterations >= self.iterations:
            return self.revalidation
        return self.best_val(iterations)


@dataclass(frozen=True)
class TaskTable:
    """All recorded runs of one task, by setting."""

    task: str
    runs: dict[Setting, tuple[Run, ...]]

    @property
    def settings(self) -> list[Setting]:
        """Settings of the grid, in a fixed order."""
        return sorted(self.runs)

    @property
    def seeds(self) -> int:
        """Seeds recorded per setting (the smallest count)."""
        return min(len(r) for r in self.runs.values())

    @functools.cached_property
    def iterations(self) -> int:  # read for every replayed job: computed once
        """Iterations per recorded run."""
        return min(run.iterations for runs in self.runs.values() for run in runs)

    @property
    def statistic(self) -> str:
        """What runs are ranked by: ``re-validation`` when every row records it, else ``best val``."""
        return "re-validation" if all(r.revalidation is not None for runs in self.runs.values() for r in runs) else "best val"

    @property
    def known_truth(self) -> dict[Setting, float] | None:
        """Every setting's expected test score, when the table was generated with it known."""
        known = {s: runs[0].true_test for s, runs in self.runs.items()}
        return None if any(v is None for v in known.values()) else known  # type: ignore[return-value]

    def without_revalidation(self) -> TaskTable:
        """The same runs ranked by best validation (their ``revalidation`` dropped)."""
        return TaskTable(self.task, {s: tuple(replace(r, revalidation=None) for r in runs) for s, runs in self.runs.items()})

    def space(self) -> dict[str, list[Any]]:
        """Knob choices of the grid."""
        return {k: sorted({s[i] for s in self.runs}) for i, k in enumerate(KNOBS)}


def load(path: Path) -> dict[str, TaskTable]:
    """Read a table written by ``record.py`` (one JSON run per line)."""
    return from_rows(json.loads(line) for line in path.read_text().splitlines() if line.strip())


def from_rows(rows: Iterable[dict[str, Any]]) -> dict[str, TaskTable]:
    """Tables from rows in the ``table.jsonl`` format, by task."""
    runs: dict[str, dict[Setting, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        setting = tuple(row["setting"][k] for k in KNOBS)
        curve = tuple(v for _, v in row["curve"])
        run = Run(row["seed"], curve, row["test"], tuple(tuple(p) for p in row["test_curve"]), row.get("true_test"), row.get("revalidation"))
        runs[row["task"]][setting].append(run)  # type: ignore[index]
    return {
        task: TaskTable(task, {s: tuple(sorted(r, key=lambda run: run.seed)) for s, r in per.items()})
        for task, per in sorted(runs.items())
    }
