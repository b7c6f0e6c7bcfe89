"""Estimates: what each setting's seeds say about its mean, and which setting to recommend now.

The recommendation is available from the first finished run on, whatever the allocation
rule gave each setting, so it must not favor a setting for the seeds it happened to get:

1. **Seed-adjusted means.** Seeds are common random numbers, and one seed can lift every
   setting (an easy batch order). The means come from the least-squares fit
   ``value = setting effect + seed effect`` over the runs that finished, so a setting
   tried only on a hard seed is not ranked below one that also got an easy one.
2. **Shrinkage** (empirical Bayes, James-Stein): each mean is pulled toward the grand mean
   by its noise, ``sigma^2 / n``, against the spread between settings beyond noise,
   ``tau^2``. A setting with more seeds is trusted more. When the settings' means spread no
   more than their noise explains (``tau^2 = 0``), every estimate is the grand mean, and the
   settings are ranked as the shrunk means are when the spread tends to 0: by seeds x
   (adjusted mean - grand mean), so one lucky seed does not beat three good ones.
3. **Tie rule:** the setting with the most seeds (most evidence), then the first in the
   search order (seeded at random, so it favors no corner of the grid).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

Values = Mapping[int, Mapping[int, float]]
# Relative tolerance under which two estimates are equal: runs identical seed for seed give
# fits that differ in the last bits only.
_TOLERANCE = 1e-9
# Degrees of freedom the pooled noise lends each arm's own noise estimate in P(best): an arm's
# own seeds outweigh it from about 8 seeds on. Chosen by measurement (1,200 simulated studies
# per cell, tests/controller/test_calibration.py): fewer (2-4) leave P(best) up to 0.12 under
# how often the pick is right when the noise is equal, more (8, or one pooled scale) up to
# 0.10 over it when the best setting is a noisy one; 6 is within 0.08 in every cell.
PRIOR_DF = 6.0


@dataclass(frozen=True)
class Estimates:
    """Seed-adjusted, shrunk mean validation of every tried arm.

    Args:
        adjusted: Arm -> its effect in the fit ``value = arm + seed`` (on the scale of the
            average seed).
        shrunk: Arm -> the adjusted mean pulled toward the grand mean.
        seeds: Arm -> finished seeds.
        sigma: Residual standard deviation of the fit (``None``: no degree of freedom left).
        tau: Standard deviation between arms beyond noise (``None`` without ``sigma``).
        grand: The precision-weighted grand mean the estimates shrink toward (``None`` without shrinkage).
        own: Arm -> its own noise in the fit: the sum of its squared residuals and its share of
            the residual degrees of freedom (``n - 1`` of the arm's seeds, scaled to the fit's).
    """

    adjusted: dict[int, float]
    shrunk: dict[int, float]
    seeds: dict[int, int]
    sigma: float | None
    tau: float | None
    grand: float | None = None
    own: dict[int, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Values) -> Estimates | None:
        """Estimate every arm with a finished run (``None`` when there is none)."""
        arms = sorted(a for a, v in values.items() if v)
        if not arms:
            return None
        adjusted, sigma, own = _seed_adjusted(values, arms)
        n = {a: len(values[a]) for a in arms}
        means = np.array([adjusted[a] for a in arms])
        if sigma is None or len(arms) < 3:  # no noise estimate, or too few arms to estimate a spread
            return cls(adjusted, dict(adjusted), n, sigma, None, own=own)
        if sigma <= _TOLERANCE * max(1.0, float(np.abs(means).max())):  # runs repeat seed for seed: nothing to shrink
            return cls(adjusted, dict(adjusted), n, sigma, float(means.std()), own=own)
        noise = np.array([sigma**2 / n[a] for a in arms])
        tau2 = max(0.0, float(means.var(ddof=1) - noise.mean()))
        grand = float(np.average(means, weights=1 / noise))
        shrunk = {a: grand + tau2 / (tau2 + float(noise[i])) * (adjusted[a] - grand) for i, a in enumerate(arms)}
        return cls(adjusted, shrunk, n, sigma, float(np.sqrt(tau2)), grand, own)

    @property
    def pick(self) -> int:
        """The arm to recommend: highest shrunk mean. Among arms tied on it, the highest
        ``seeds x (adjusted - grand)`` (the order the shrunk means take as the spread between
        arms tends to 0: evidence-weighted), then most seeds, then the lowest index (arms are
        indexed in the search order)."""
        grand = self.grand

        def lean(a: int) -> float:  # 0 without shrinkage: equal estimates are exact ties there
            return 0.0 if grand is None else self.seeds[a] * (self.adjusted[a] - grand)

        return min(self.ties, key=lambda a: (-lean(a), -self.seeds[a], a))

    @property
    def ties(self) -> list[int]:
        """Arms sharing the highest estimate (more than one: the tie rule chose the pick)."""
        top = max(self.shrunk.values())
        return [a for a, v in self.shrunk.items() if top - v <= _TOLERANCE * max(1.0, abs(top))]

    def p_best(self, arm: int, rng: np.random.Generator, draws: int = 4000) -> float | None:
        """Posterior probability that ``arm`` has the highest mean among the tried arms: each
        mean drawn around its seed-adjusted estimate (a flat prior on the means) with its own
        noise, ``None`` without a noise estimate; equal shares when the arms spread no more
        than their noise (``flat``).

        Each arm's noise variance has a scaled inverse chi-square posterior: its own squared
        residuals and degrees of freedom, plus ``PRIOR_DF`` degrees of freedom at the pooled
        ``sigma^2`` (an arm with one seed has only those). Settings differ in how noisy their
        runs are; one pooled noise scale made P(best) overconfident when the best setting is
        a noisy one (top-two Thompson: 0.67 against 0.57 realized, 1,200 simulated studies; 0.65 now).

        Not around the shrunk estimates: shrinkage toward the grand mean is right for choosing
        the pick (a setting with few seeds is not favored for its luck), but drawing around
        shrunk means with the hierarchical variance understates how far apart settings that
        really differ are (racing: P(best) 0.66 against 0.76 realized)."""
        if self.sigma is None:
            return None
        arms = sorted(self.adjusted)
        if self.flat:
            return 1 / len(arms)
        n = np.array([self.seeds[a] for a in arms], dtype=float)
        ss, df = (np.array(v) for v in zip(*(self.own[a] for a in arms), strict=True))
        dof = PRIOR_DF + df
        variance = (PRIOR_DF * self.sigma**2 + ss) / dof
        scale = np.sqrt(dof / rng.chisquare(dof, (draws, len(arms))))
        means = np.array([self.adjusted[a] for a in arms]) + scale * rng.standard_normal((draws, len(arms))) * np.sqrt(variance / n)
        return float((means.argmax(axis=1) == arms.index(arm)).mean())

    @property
    def flat(self) -> bool:
        """The arms' means spread no more than their noise explains: the data cannot rank them."""
        return self.tau is not None and self.tau <= _TOLERANCE * max(1.0, *(abs(v) for v in self.adjusted.values()))


def _seed_adjusted(values: Values, arms: list[int]) -> tuple[dict[int, float], float | None, dict[int, tuple[float, float]]]:
    """The least-squares fit ``value = arm + seed`` over the finished runs: each arm's effect on
    the scale of the average seed, the residual standard deviation (``None``: no degree of
    freedom left), and each arm's own squared residuals with its share of the degrees of freedom."""
    seeds = sorted({s for a in arms for s in values[a]})
    cells = [(i, seeds.index(s), v) for i, a in enumerate(arms) for s, v in values[a].items()]
    x = np.zeros((len(cells), len(arms) + len(seeds) - 1))
    for row, (i, j, _) in enumerate(cells):
        x[row, i] = 1.0
        if j:  # the first seed is the baseline: its effect is 0
            x[row, len(arms) + j - 1] = 1.0
    y = np.array([v for *_, v in cells])
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    seed_effects = np.concatenate([[0.0], coef[len(arms):]])
    adjusted = {a: float(coef[i] + seed_effects.mean()) for i, a in enumerate(arms)}
    df = len(cells) - int(rank)
    residuals = y - x @ coef
    sigma = float(np.sqrt((residuals**2).sum() / df)) if df > 0 else None
    ss = np.bincount([i for i, *_ in cells], weights=residuals**2, minlength=len(arms))
    extra = sum(len(values[a]) - 1 for a in arms)
    own = {a: (float(ss[i]), (len(values[a]) - 1) * df / extra if extra and df > 0 else 0.0) for i, a in enumerate(arms)}
    return adjusted, sigma, own
