"""Verdict: how sure a study is of its pick, said plainly, from validation over paired seeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autoloop.controller._arms import Comparison, Values
from autoloop.controller._estimates import Estimates
from autoloop.controller._prior import blend
from autoloop.tasks import Metric

DEFAULT_CONFIDENCE = 0.95


def label(settings: dict[str, Any]) -> str:
    """A short name for a setting, e.g. ``many_functions/h1/b3``."""
    short = {"credit_horizon": "h", "batch_size": "b", "memory": "m", "val_interval": "v", "patience": "p"}
    return "/".join(f"{short.get(k, '')}{v}" for k, v in settings.items())


@dataclass(frozen=True)
class Verdict:
    """The pick, its probability of being the best, and the settings indistinguishable from it.

    Args:
        confidence: The level of the paired tests (e.g. 0.95).
        pick: The recommended setting (``Estimates.pick``): highest seed-adjusted, shrunk mean
            validation; when the data cannot rank the settings, the one with the most seeds,
            then the first in the search order.
        p_best: Posterior probability that the pick is the best tried setting (``Estimates.p_best``:
            each mean around its seed-adjusted estimate; equal shares when the settings spread
            no more than their noise; ``None`` until there is a noise estimate).
        indistinguishable: Settings not worse than the pick at ``confidence``, pick first
            (settings never tried count as indistinguishable: nothing is known about them).
        seeds: Seeds of the pick.
        text: The verdict in one sentence.
    """

    confidence: float
    pick: dict[str, Any]
    p_best: float | None
    indistinguishable: tuple[dict[str, Any], ...]
    seeds: int
    text: str

    @property
    def certain(self) -> bool:
        """No other setting is left that the pick could not be told apart from."""
        return len(self.indistinguishable) == 1

    @classmethod
    def of(
        cls, settings: Sequence[dict[str, Any]], values: Values, confidence: float, *, seed: int = 0, metric: Metric | None = None,
        prior: Mapping[int, tuple[float, float]] | None = None,
    ) -> Verdict | None:
        """Judge ``values`` (arm index into ``settings``, in the search order -> {seed: best
        validation}); ``None`` before any run finished. The pick is ``Estimates.pick``, blended
        with ``prior`` (arm -> prior score and weight: ``Prior.arms``) when the study started warm;
        the text gives scores in ``metric``'s own units (as is without one)."""
        estimates = Estimates.of(values)
        if estimates is not None and prior:
            estimates = blend(estimates, prior)
        if estimates is None:
            return None
        comparison = Comparison.of(values, leader=estimates.pick)
        if comparison is None:
            return None
        leader = comparison.leader
        worse = comparison.worse(confidence)
        tied = [leader, *(a for a in range(len(settings)) if a != leader and a not in worse)]
        p_best = estimates.p_best(leader, np.random.default_rng(seed))
        n = len(values[leader])
        names = [label(settings[a]) for a in tied]
        level = f"{confidence:.0%}"
        score = f"{_units(estimates.adjusted[leader], metric)} over {n} seed{'s' * (n != 1)}"
        if len(settings) == 1:
            text = f"{names[0]} is the only setting searched: nothing to compare it with ({score})"
        elif len(tied) == 1:
            chance = "" if p_best is None else f", P(best) = {p_best:.2f}"
            text = f"{names[0]} is the best at {level}: every other setting is worse on paired seeds ({score}{chance})"
        else:
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            untried = sum(1 for a in tied if not values.get(a))
            note = f" ({untried} never tried)" if untried else ""
            chance = "" if p_best is None else f", P(best) = {p_best:.2f}"
            text = (
                f"no significant difference among {shown}{note} at {level}; recommending {names[0]} because {_rule(estimates, metric)}"
                f"{', blended with the warm-start prior' if prior else ''} ({score}{chance})"
            )
        return cls(confidence, dict(settings[leader]), p_best, tuple(dict(settings[a]) for a in tied), n, text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "confidence": self.confidence, "pick": self.pick, "p_best": self.p_best, "certain": self.certain,
            "indistinguishable": list(self.indistinguishable), "seeds": self.seeds, "text": self.text,
        }


def _units(score: float, metric: Metric | None) -> str:
    """A score as the metric reads, e.g. ``rmse 60.67``."""
    return f"{score:.4g}" if metric is None else f"{metric.name} {metric.display(score):.4g}"


def _rule(estimates: Estimates, metric: Metric | None) -> str:
    """Why the pick is the pick, in words (``best`` = highest, or lowest for an error)."""
    best = "highest" if metric is None or metric.higher_is_better else "lowest"
    ties = estimates.ties
    if len(ties) == 1:
        return f"it has the {best} mean run score (re-validation where the task has it), adjusted for seed effects and shrunk by its noise"
    if estimates.flat and estimates.grand is not None:
        return f"the settings' means spread no more than their noise, and its seed-adjusted mean weighted by its seeds is the {best}"
    seeds = sorted((estimates.seeds[a] for a in ties), reverse=True)
    why = f"it ties for the {best} mean run score"
    return f"{why}, and it has the most seeds" if seeds[0] > seeds[1] else f"{why}, and it came first in the (seeded) search order"
