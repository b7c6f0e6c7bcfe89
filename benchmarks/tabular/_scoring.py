"""How a replayed pick is scored: the truth it is measured against, each strategy's figures over
the repetitions, and paired differences between two of them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import mean

import numpy as np

from autoloop.controller import Comparison
from benchmarks.tabular._table import Setting, TaskTable

BAND = 0.02
Pick = tuple[Setting | None, bool | None]  # the pick, and whether it says "no significant difference"


@dataclass(frozen=True)
class Truth:
    """What a repetition's truth seeds say about every setting.

    Args:
        values: Mean test over the truth seeds, per setting (the known expected test when the
            table carries it: synthetic tables).
        tie: Whether the truth itself cannot tell its best setting from another at 95% (paired
            t-tests on the truth seeds' test scores, one look; always on a table known to be
            all equal): then "no significant difference" is the right answer. One truth
            seed can tell nothing apart.
    """

    values: dict[Setting, float]
    tie: bool

    @classmethod
    def of(cls, table: TaskTable, seeds: list[int]) -> Truth:
        settings = table.settings
        tests = {a: {i: table.runs[s][i].test for i in seeds} for a, s in enumerate(settings)}
        comparison = Comparison.of(tests)
        tie = comparison is None or len(comparison.worse(0.95, sequential=False)) < len(settings) - 1
        known = table.known_truth
        if known is not None and len(set(known.values())) == 1:
            tie = True  # known to be all equal: "no significant difference" is the only right answer
        return cls(known or {s: mean(tests[a].values()) for a, s in enumerate(settings)}, tie)

    def regret(self, setting: Setting) -> float:
        """Normalized regret of ``setting``: 0 for the best, 1 for the worst (0 when all tie)."""
        best, worst = max(self.values.values()), min(self.values.values())
        return (best - self.values[setting]) / (best - worst) if best > worst else 0.0


@dataclass
class Score:
    """One strategy on one task at one budget level, over the repetitions."""

    correct: list[float] = field(default_factory=list)
    regret: list[float] = field(default_factory=list)
    tie_right: list[bool] = field(default_factory=list)

    def add(self, pick: Pick, truth: Truth, default: Setting) -> None:
        """One repetition's pick (``None``: nothing recommended yet, the default stands in)."""
        r = truth.regret(pick[0] or default)
        self.correct.append(float(r <= BAND))
        self.regret.append(r)
        if pick[1] is not None:
            self.tie_right.append(pick[1] == truth.tie)

    def add_luck(self, truth: Truth) -> None:
        """One repetition of a uniformly random pick, by its expectation over the settings."""
        regrets = [truth.regret(s) for s in truth.values]
        self.correct.append(mean(r <= BAND for r in regrets))
        self.regret.append(mean(regrets))

    def to_dict(self) -> dict[str, float | None]:
        se = float(np.std(self.regret, ddof=1) / math.sqrt(len(self.regret))) if len(self.regret) > 1 else None
        return {
            "p_correct": mean(self.correct), "regret": mean(self.regret), "regret_se": se,
            "no_difference_right": mean(self.tie_right) if self.tie_right else None,
        }


@dataclass(frozen=True)
class Difference:
    """One strategy's regret minus another's, or one strategy's at two budget levels, averaged
    over the repetitions (the same splits and tables: a paired comparison, far less noisy than
    the two means' errors side by side)."""

    diff: float
    se: float | None

    @classmethod
    def paired(cls, a: Score, b: Score) -> Difference:
        d = np.array(a.regret) - np.array(b.regret)
        return cls(float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else None)

    def __str__(self) -> str:
        if self.se is None:
            return f"{self.diff:+.3f}"
        word = "below" if self.diff + 2 * self.se < 0 else "above" if self.diff - 2 * self.se > 0 else "tie"
        return f"{self.diff:+.3f}±{self.se:.3f} {word}"
