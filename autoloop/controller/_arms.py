"""Best-arm identification over seeds: paired comparisons, allocation rules and the verdict.

A setting is an *arm*; one loop run with seed ``s`` is one pull. Seeds are common random
numbers: seed ``s`` draws the same batch order (``autoloop.loop.batch_for``), the same
optimizer randomness and the same instances for every setting, so two settings are compared
on the differences of their runs with the same seed: the noise that decides a comparison
is the spread of those paired differences (each pair's own), not the spread of the raw
scores.

Everything here is a pure function of ``values``: arm index -> {seed: the run's score} (its
re-validation score when it has one, else its best validation: ``Outcome.value``).
Test scores never enter.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from autoloop.controller._estimates import Estimates
from autoloop.controller._student import t_quantile

Values = Mapping[int, Mapping[int, float]]


class Pair(NamedTuple):
    """The leader against one arm on their common seeds.

    Args:
        n: Common seeds.
        mean: Mean of leader minus arm over them.
        sd: Standard deviation of those differences (``None`` below two common seeds).
    """

    n: int
    mean: float
    sd: float | None


@dataclass(frozen=True)
class Comparison:
    """The leader (highest mean) against every other tried arm, on their common seeds.

    Each pair is judged on its own paired differences (their own spread, ``n - 1`` degrees of
    freedom): settings differ in how noisy their runs are (a noisier validation, a wilder
    curve), and one noise scale pooled over every pair would be too small for the noisy
    pairs, eliminating a noisy true best on evidence that belongs to others. A pair with
    fewer than two common seeds has no spread of its own: it is never declared worse.

    Args:
        leader: The arm with the highest mean validation (lowest index on a tie).
        means: Mean validation per tried arm.
        diffs: Arm -> the leader against it (``Pair``).
        twins: Arms whose runs equal the leader's on every common seed (exact ties).
    """

    leader: int
    means: dict[int, float]
    diffs: dict[int, Pair]
    twins: frozenset[int] = frozenset()

    @classmethod
    def of(cls, values: Values, *, leader: int | None = None) -> Comparison | None:
        """Compare the tried arms with ``leader`` (default: the highest mean; ``None`` when no
        arm has a value yet)."""
        # Plain floats: a study compares a dozen arms of a few seeds after every run.
        means = {a: sum(v.values()) / len(v) for a, v in values.items() if v}
        if not means:
            return None
        if leader is None:
            leader = max(sorted(means), key=lambda a: means[a])
        elif leader not in means:
            raise ValueError(f"the leader must be a tried arm, got {leader=} (tried: {sorted(means)})")
        diffs, twins = {}, set()
        best = values[leader]
        for arm in means:
            if arm == leader:
                continue
            d = [best[s] - v for s, v in values[arm].items() if s in best]
            mean = sum(d) / len(d) if d else 0.0
            sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1)) if len(d) >= 2 else None
            diffs[arm] = Pair(len(d), mean, sd)
            if d and not any(d):
                twins.add(arm)  # a tie: the same runs seed for seed
        return cls(leader, means, diffs, frozenset(twins))

    def worse(self, confidence: float, *, sequential: bool = True) -> set[int]:
        """Arms worse than the leader at ``confidence``: one-sided paired t-tests, each on its
        own differences, Bonferroni over the arms compared and, when ``sequential``, over the
        looks (the test after ``n`` common seeds spends ``1 / (n (n + 1))`` of the error,
        which sums to 1 over every ``n``), so a search that tests after every run still errs
        with probability at most ``1 - confidence``. ``sequential=False``: one look at data
        collected independently."""
        if not self.diffs:
            return set()
        alpha = (1 - confidence) / len(self.diffs)
        out = set()
        for arm, pair in self.diffs.items():
            if pair.sd is not None and pair.mean > 0:
                crit = t_quantile(1 - alpha / (pair.n * (pair.n + 1) if sequential else 1), pair.n - 1)
                if pair.mean - crit * max(pair.sd, 1e-12) / math.sqrt(pair.n) > 0:
                    out.add(arm)
        return out


class AllocationRule(ABC):
    """Chooses which arm gets the next seed; the controller stops when it returns ``None``."""

    @abstractmethod
    def next_arm(
        self, values: Values, assigned: Sequence[int], alive: set[int], rng: np.random.Generator, *, planned: int | None = None
    ) -> int | None:
        """The arm to pull next.

        Args:
            values: Finished runs' scores (``Outcome.value``) per arm and seed.
            assigned: Seeds given to each arm so far (finished or in flight), by arm index
                (arms are indexed in the search order).
            alive: Arms that may still get seeds (not eliminated, under the seed cap).
            rng: The study's generator (seeded; a replay with the same seed pulls the same arms).
            planned: Runs the budget pays for in all, when the budget is in iterations
                (``None``: unknown, e.g. a token or time budget).
        """


class Racing(AllocationRule):
    """Successive elimination (Even-Dar, Mannor and Mansour 2006) with paired t-tests: every
    surviving arm gets one more seed per round, the arm with the fewest seeds first.

    When the budget cannot give every arm even one seed (``planned < K``: the space cannot be
    covered anyway), the race is narrowed to the first ``planned // 2`` arms still alive in
    the search order (a seeded random order): two seeds on fewer arms rather than one noisy
    seed on each. An arm that is eliminated or runs out of seeds makes room for the next one.
    """

    def next_arm(
        self, values: Values, assigned: Sequence[int], alive: set[int], rng: np.random.Generator, *, planned: int | None = None
    ) -> int | None:
        del values, rng  # the round-robin order needs only the counts
        if planned is not None and planned < len(assigned):
            alive = set(sorted(alive)[: max(1, planned // 2)])
        return min(alive, key=lambda a: (assigned[a], a), default=None)


class TopTwoThompson(AllocationRule):
    """Top-two Thompson sampling (Russo 2016, beta = 1/2): draw each arm's mean from its
    posterior; half the time pull the drawn best, otherwise the best of a fresh draw among the
    other arms (the challenger; Shang et al. 2020's variant, no rejection loop)."""

    def next_arm(
        self, values: Values, assigned: Sequence[int], alive: set[int], rng: np.random.Generator, *, planned: int | None = None
    ) -> int | None:
        del planned  # the posterior decides; the budget only ends the search
        if not alive:
            return None
        fresh = [a for a in sorted(alive) if assigned[a] == 0]
        if fresh:
            return fresh[0]
        arms = sorted(alive)
        means = np.array([np.mean(list(values[a].values())) if values.get(a) else np.nan for a in arms])
        spread = [v for a in arms if len(values.get(a, {})) >= 2 for v in _centered(values[a])]
        if np.isnan(means).any() or not spread:  # runs still in flight, or no noise estimate yet
            return min(arms, key=lambda a: (assigned[a], a))
        sd = math.sqrt(sum(x * x for x in spread) / max(len(spread) - 1, 1))
        scale = max(sd, 1e-12) / np.sqrt([len(values[a]) for a in arms])

        def draw() -> np.ndarray:
            return means + rng.standard_normal(len(arms)) * scale

        first = int(np.argmax(draw()))
        if rng.random() < 0.5:
            return arms[first]
        challenger = draw()
        challenger[first] = -np.inf  # the challenger: the best of a fresh draw among the others
        return arms[int(np.argmax(challenger))]


class SequentialHalving(AllocationRule):
    """Sequential halving (Karnin, Koren and Somekh 2013) over seeds, anytime: the first round
    gives every arm one seed, in the search order; round ``j`` then brings the best
    ``max(2, ceil(K / 2^j))`` arms by the current estimates (``Estimates``: seed-adjusted,
    shrunk; the pick first) up to ``2^j`` seeds each, so every round costs about the same and
    the seeds go to the contenders, the last two racing each other. Only arms that may still
    get seeds are ranked after the pick: one that is eliminated or has the most seeds allowed
    leaves its place to the next (the pick never races an arm already beaten while a one-seed
    arm waits), so a full budget ends with every arm fully seeded or eliminated.

    A budget too small to give every arm a seed (``planned < K``) thus gives one seed to each
    of the first ``planned`` arms of the search order (a seeded random order): the best of
    several arms on one paired seed is a better pick than the best of half as many on two
    whenever the settings differ at all (the expected maximum grows faster with the arms
    than the correlation does with the seeds).
    """

    def next_arm(
        self, values: Values, assigned: Sequence[int], alive: set[int], rng: np.random.Generator, *, planned: int | None = None
    ) -> int | None:
        del rng, planned  # cover first, then halve: no draw, and no need to know the budget
        if not alive:
            return None
        fresh = [a for a in sorted(alive) if assigned[a] == 0]
        if fresh:
            return fresh[0]
        estimates = Estimates.of(values)
        shrunk = {} if estimates is None else estimates.shrunk
        middle = sum(shrunk.values()) / len(shrunk) if shrunk else 0.0
        pick = None if estimates is None else estimates.pick
        # Ranked: the pick first (the reference, even with all its seeds), then the arms that may
        # still get seeds (an eliminated runner-up makes room for the next one, or the pick would
        # race no one); arms whose first run is still in flight rank at the mean.
        ranked = sorted(alive | {pick} - {None}, key=lambda a: (a != pick, -shrunk.get(a, middle), a))
        size, target = len(ranked), 1
        while True:
            size, target = max(2, math.ceil(size / 2)), 2 * target
            contenders = [a for a in ranked[:size] if a in alive and assigned[a] < target]
            if contenders:
                return min(contenders, key=lambda a: assigned[a])


def _centered(seeds: Mapping[int, float]) -> list[float]:
    mean = sum(seeds.values()) / len(seeds)
    return [v - mean for v in seeds.values()]
