"""BestArmStrategy: seeds are the resource; an allocation rule chooses which setting gets its next seed.

The strategy for small discrete spaces (up to ``BEST_ARM_MAX_SETTINGS`` settings; ``auto``
picks ``halving`` there). Seed ``s`` of every setting is the same common random number, so
settings are compared on paired differences. Settings worse than the pick at the study's
confidence (paired t-tests, ``Comparison.worse``) get no more seeds, and their runs still in
flight are stopped on their partial curve (``eliminated``). The pick, from the first finished
run on, is ``Estimates.pick``: seed-adjusted means shrunk by their noise.

The search stops when the pick is certain (every other setting tried and worse:
``confident``) or when no setting may get another seed (``seeds``); the scheduler ends it
when the budget does. Every run scores its returned artifact on test once at its end, sealed:
allocation, elimination and the verdict read ``Outcome.value`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autoloop.controller._arms import AllocationRule, Comparison, Racing, SequentialHalving, TopTwoThompson
from autoloop.controller._estimates import Estimates
from autoloop.controller._prior import blend
from autoloop.controller._strategy import Outcome, Proposal, SearchStrategy, StopReason, StrategyContext, register_strategy

__all__ = ["BestArmStrategy"]


class BestArmStrategy(SearchStrategy):
    """One best-arm search of ``context.space`` with ``rule``.

    With a warm start (``context.prior``) the prior's favorites come first in the search order
    (they get the first seeds) and the prior is blended into the estimates that choose the
    leader (``_prior.blend``).

    Args:
        context: The study's space, confidence, seed cap, budget in runs and prior.
        rule: Which setting gets the next seed.
    """

    uses_prior = True

    def __init__(self, context: StrategyContext, rule: AllocationRule) -> None:
        self.rule, self.level, self.max_seeds, self.planned = rule, context.level, context.max_seeds, context.planned_runs
        self.rng = np.random.default_rng(context.seed)
        grid = context.space.grid()
        # A seeded order: which setting is tried first must not favor the grid's first corner.
        self.settings = [grid[i] for i in self.rng.permutation(len(grid))]
        if context.prior is not None:
            self.settings = context.prior.order(self.settings)
        self.prior_arms = {} if context.prior is None else context.prior.arms(self.settings)
        self._index = {_key(s): i for i, s in enumerate(self.settings)}
        self._assigned = [0] * len(self.settings)
        self._values: dict[int, dict[int, float]] = {}
        self._pending = 0
        self._out: set[int] = set()

    def values(self) -> dict[int, dict[int, float]]:
        """Arm -> {seed: value} of the runs that ran to their end."""
        return self._values

    def ask(self) -> Proposal | None:
        arm = self.rule.next_arm(self._values, self._assigned, self._alive(), self.rng, planned=self.planned)
        if arm is None:
            return None
        seed = self._assigned[arm]  # seed s of every setting: paired comparisons
        self._assigned[arm] += 1
        self._pending += 1
        return Proposal(dict(self.settings[arm]), (seed,))

    def tell(self, outcome: Outcome) -> None:
        arm = self._index[_key(outcome.settings)]
        self._pending -= 1
        self._values.setdefault(arm, {})
        if outcome.value is not None:
            self._values[arm][outcome.seed] = outcome.value
        self._out = self._compare()

    def resume(self, started: Sequence[Proposal], outcomes: Sequence[Outcome]) -> None:
        for proposal in started:
            arm = self._index[_key(proposal.settings)]
            self._assigned[arm] = max(self._assigned[arm], max(proposal.seeds) + 1)
            self._pending += len(proposal.seeds)
        for outcome in outcomes:
            self.tell(outcome)

    def stop_reason(self) -> StopReason | None:
        untried = sum(1 for n in self._assigned if n == 0)
        # A pick with a score, and something it was compared with: one setting is measured until the budget ends.
        if not untried and len(self.settings) > 1 and len(self._out) == len(self.settings) - 1 and any(self._values.values()):
            return StopReason.CONFIDENT
        return StopReason.SEEDS if not self._pending and not self._alive() else None

    @property
    def round_runs(self) -> int:
        """A round gives every setting one seed."""
        return len(self.settings)

    def compared(self) -> list[dict[str, Any]]:
        """Every setting, in the seeded search order (settings never tried count as indistinguishable)."""
        return self.settings

    def eliminated(self) -> list[dict[str, Any]]:
        return [self.settings[a] for a in sorted(self._out)]

    def _compare(self) -> set[int]:
        """Settings worse than the current pick, from the runs finished so far."""
        estimates = Estimates.of(self._values)
        if estimates is not None and self.prior_arms:
            estimates = blend(estimates, self.prior_arms)
        comparison = None if estimates is None else Comparison.of(self._values, leader=estimates.pick)
        return set() if comparison is None else comparison.worse(self.level)

    def _alive(self) -> set[int]:
        return {a for a in range(len(self.settings)) if a not in self._out and self._assigned[a] < self.max_seeds}


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))


register_strategy("halving", lambda context: BestArmStrategy(context, SequentialHalving()))
register_strategy("racing", lambda context: BestArmStrategy(context, Racing()))
register_strategy("ttts", lambda context: BestArmStrategy(context, TopTwoThompson()))
