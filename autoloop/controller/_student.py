"""Student's t distribution for integer degrees of freedom, without scipy.

The paired tests run on few seeds (1 to a dozen degrees of freedom) and far in the tail
(Bonferroni over settings and looks), where expansions around the normal are off by tens of
percent. For integer ``df`` the distribution function has a closed form (Abramowitz and
Stegun 26.7.3-4), which the quantile inverts by bisection.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

# Beyond this many degrees of freedom the Cornish-Fisher expansion is exact to ~1e-6 even at
# the tails used here, and the closed form's series would only cost time.
_EXACT_DF = 200


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with ``df >= 1`` degrees of freedom."""
    theta = math.atan(abs(t) / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:  # odd: (2/pi) (theta + sin cos (1 + 2/3 cos^2 + 2.4/(3.5) cos^4 + ...))
        term, total = 1.0, 0.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        inside = 2 / math.pi * (theta + (s * math.cos(theta) * total if df > 1 else 0.0))
    else:  # even: sin (1 + 1/2 cos^2 + 1.3/(2.4) cos^4 + ...)
        term, total = 1.0, 0.0
        for k in range(1, df // 2 + 1):
            total += term
            term *= c2 * (2 * k - 1) / (2 * k)
        inside = s * total
    return 0.5 + math.copysign(inside / 2, t)


@functools.cache  # a study asks for the same few (level, df) pairs after every run
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df >= 1`` degrees of freedom (``0 < p < 1``)."""
    if df > _EXACT_DF:
        z = NormalDist().inv_cdf(p)
        return (
            z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        )
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, math.pi / 2  # bisect on the angle atan(t / sqrt(df)): bounded, and the cdf is monotone in it
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if t_cdf(math.tan(mid) * math.sqrt(df), df) < p else (low, mid)
    return math.tan((low + high) / 2) * math.sqrt(df)
