"""Interval: a mean and its 95% Student-t interval, or none below two values or without spread."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autoloop.controller._student import t_quantile
from autoloop.tasks import Metric


@dataclass(frozen=True)
class Interval:
    """A mean with a 95% Student-t interval over ``n`` values (internal scores).

    Below two values there is no interval (``low`` and ``high`` are ``None``): one seed says
    nothing about the spread, and a percentile bootstrap over a handful of values is their
    [min, max], which covers far less than 95%. Nor over values that are all equal: a
    zero-width interval would read as certainty where the sample only shows no spread.

    Args:
        mean: The mean of the values.
        low: Lower end (``None`` below two values, or when they are all equal).
        high: Upper end (``None`` likewise).
        n: How many values.
        unit: What the values are (``seeds``, ``test instances``), for the note without an interval.
    """

    mean: float
    low: float | None
    high: float | None
    n: int
    unit: str = "seeds"

    @classmethod
    def of(cls, values: Sequence[float], *, unit: str = "seeds") -> Interval:
        """The mean of ``values`` and its t-interval (none below two values).

        Raises:
            ValueError: ``values`` is empty.
        """
        x = np.asarray(values, dtype=float)
        if x.size == 0:
            raise ValueError("cannot summarize an empty sample")
        mean = float(x.mean())
        if x.size < 2 or np.ptp(x) == 0:
            return cls(mean, None, None, int(x.size), unit)
        half = t_quantile(0.975, x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
        return cls(mean, mean - half, mean + half, int(x.size), unit)

    @property
    def bounds(self) -> tuple[float, float]:
        """``(low, high)``, or the mean twice without an interval (drawn as a point)."""
        return (self.mean, self.mean) if self.low is None or self.high is None else (self.low, self.high)

    @property
    def note(self) -> str | None:
        """Why there is no interval, if there is none."""
        if self.low is not None:
            return None
        if self.n < 2:
            return f"too few {self.unit} for an interval"
        return f"all {self.n} {self.unit} scored the same: no spread to make an interval from"

    def to_dict(self, metric: Metric | None = None) -> dict[str, Any]:
        """In the metric's own units when ``metric`` is given (RMSE positive, the interval low to
        high); without one, as is (a val-to-test gap: how much worse test is, in metric units).
        ``ci95`` is ``None`` without an interval, and ``note`` says why."""
        shown = (lambda v: v) if metric is None else metric.display
        ci = None if self.low is None or self.high is None else sorted((shown(self.low), shown(self.high)))
        return {"mean": shown(self.mean), "ci95": ci, "n": self.n, "unit": self.unit, "note": self.note}
