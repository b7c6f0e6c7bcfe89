"""Student's t quantiles for the paired tests and the intervals.

The tests run on few seeds (1 to a dozen degrees of freedom) and far in the tail (Bonferroni
over settings and looks), where expansions around the normal are off by tens of percent:
scipy's exact quantile (scipy comes with scikit-learn).
"""

from __future__ import annotations

import functools

from scipy.stats import t


@functools.cache  # a study asks for the same few (level, df) pairs after every run
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df >= 1`` degrees of freedom (``0 < p < 1``)."""
    return float(t.ppf(p, df))
