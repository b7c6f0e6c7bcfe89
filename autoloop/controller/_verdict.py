"""Verdict: how sure a study is of its pick, said plainly, from validation over paired seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autoloop.controller._arms import Comparison, Values

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
        pick: The recommended setting: highest mean validation over its seeds.
        p_best: Posterior probability that no other tried setting is better than the pick
            (``None`` until some setting has two seeds: no noise estimate yet).
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
    def of(cls, settings: Sequence[dict[str, Any]], values: Values, confidence: float, *, seed: int = 0) -> Verdict | None:
        """Judge ``values`` (arm index into ``settings`` -> {seed: best validation}); ``None``
        before any run finished."""
        comparison = Comparison.of(values)
        if comparison is None:
            return None
        leader = comparison.leader
        worse = comparison.worse(confidence)
        tied = [leader, *(a for a in range(len(settings)) if a != leader and a not in worse)]
        p_best = comparison.p_best(np.random.default_rng(seed))
        n = len(values[leader])
        names = [label(settings[a]) for a in tied]
        level = f"{confidence:.0%}"
        if len(tied) == 1:
            text = f"{names[0]} is the best at {level}: every other setting is worse on paired seeds (P(best) = {p_best:.2f})"
        else:
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            untried = sum(1 for a in tied if not values.get(a))
            note = f" ({untried} never tried)" if untried else ""
            tied_exactly = any(comparison.means.get(a) == comparison.means[leader] for a in tied[1:])
            rule = "ties for the highest mean validation and came first in the search order" if tied_exactly else "has the highest mean validation"
            text = (
                f"no significant difference among {shown}{note} at {level}; recommending {names[0]} because it {rule} "
                f"({comparison.means[leader]:.4g} over {n} paired seed{'s' * (n != 1)})"
            )
        return cls(confidence, dict(settings[leader]), p_best, tuple(dict(settings[a]) for a in tied), n, text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "confidence": self.confidence, "pick": self.pick, "p_best": self.p_best, "certain": self.certain,
            "indistinguishable": list(self.indistinguishable), "seeds": self.seeds, "text": self.text,
        }
