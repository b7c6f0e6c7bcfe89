"""BestArmSearch: seeds are the resource; one Optuna trial per setting, grown one seed at a time.

The strategy for small discrete spaces (up to ``BEST_ARM_MAX_SETTINGS`` settings; ``auto``
picks it there and TPE beyond). An allocation rule (``_arms.RULES``) chooses which setting
gets its next seed; seed ``s`` of every setting is the same common random number, so
settings are compared on paired differences. Settings worse than the pick at the study's
confidence (paired t-tests, ``Comparison.worse``) get no more seeds, and their runs still in
flight are stopped on their partial curve: that is the fidelity rule, a run is dropped as
soon as its setting is eliminated by the runs that finished. The pick, from the first
finished run on, is ``Estimates.pick``: seed-adjusted means shrunk by their noise.

The search stops when the pick is certain (every other setting tried and worse:
``confident``), when no setting may get another seed (``seeds``), or when the budget ends.
Every run scores its best artifact on test once at its end, sealed: allocation, elimination
and the verdict read validation only; test is reported for the pick and the settings
indistinguishable from it. State lives in the study as for the Optuna samplers: each
setting's trial carries ``settings`` and its growing ``runs``, and ``record:<run id>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from autoloop.controller import _state as state
from autoloop.controller._arms import BEST_ARM_MAX_SETTINGS, AllocationRule, Comparison
from autoloop.controller._estimates import Estimates
from autoloop.controller._prior import blend
from autoloop.controller._trials import TrialRuns

if TYPE_CHECKING:
    from autoloop.controller._budget import Meter
    from autoloop.controller._prior import Prior
    from autoloop.controller._runs import RunBook
    from autoloop.controller._space import SearchSpace

__all__ = ["BEST_ARM_MAX_SETTINGS", "BestArmSearch"]


class BestArmSearch:
    """One best-arm search of a space.

    Args:
        runs: The study's run bookkeeping (submits runs, records outcomes in ``runs.study``).
        space: The settings to search.
        rule: Which setting gets the next seed.
        restored: Trials found in the study (a resumed search continues them).
        level: Confidence of the eliminations.
        iterations: Iterations of every loop run.
        parallel: Runs kept in flight.
        max_seeds: Seeds one setting may get.
        seed: Seeds the search order and the rule's draws.
        prior: A warm start: its favorites get the first seeds and it is blended into the
            estimates that choose the leader (``_prior``).
    """

    def __init__(
        self, runs: RunBook, space: SearchSpace, rule: AllocationRule, restored: list[TrialRuns], *, level: float,
        iterations: int, parallel: int, max_seeds: int, seed: int, prior: Prior | None = None,
    ) -> None:
        if runs.study is None:
            raise ValueError("a best-arm search records its runs in the study: set runs.study first")
        self.runs, self.study, self.space, self.rule, self.level = runs, runs.study, space, rule, level
        self.iterations, self.parallel, self.max_seeds = iterations, parallel, max_seeds
        self.rng = np.random.default_rng(seed)
        grid = space.grid()
        # A seeded order: which setting is tried first must not favor the grid's first corner.
        self.settings = [grid[i] for i in self.rng.permutation(len(grid))]
        if prior is not None:
            self.settings = prior.order(self.settings)
        self.prior_arms = {} if prior is None else prior.arms(self.settings)
        self._index = {_key(s): i for i, s in enumerate(self.settings)}
        self.groups: dict[int, TrialRuns] = {self._index[_key(g.settings)]: g for g in restored}
        self._out = self._compare()

    def values(self) -> dict[int, dict[int, float]]:
        """Arm -> {seed: best validation} of the runs that ran to their end."""
        return {arm: g.seed_values() for arm, g in self.groups.items()}

    def run(self, meter: Meter) -> str:
        """Pull seeds until the budget ends or the pick is certain; returns the stop reason."""
        for group in self.groups.values():
            self.runs.submit(group, score_test=True, pending_only=True)
        limit = meter.search_iterations
        planned = None if limit is None else limit // self.iterations
        reason: str | None = None
        while True:
            reason = reason or meter.exhausted() or self._certain()
            while reason is None and self._in_flight() < self.parallel:
                committed = sum(g.remaining_iterations for g in self.groups.values()) + self.iterations
                if not meter.can_start(committed):
                    reason = None if self._in_flight() else meter.exhausted() or "iterations"
                    break
                arm = self.rule.next_arm(self.values(), self._assigned(), self._alive(), self.rng, planned=planned)
                if arm is None:
                    reason = None if self._in_flight() else "seeds"
                    break
                self._pull(arm)
            self._stop_runs(all_runs=reason is not None)
            if not self._in_flight():
                return reason or "seeds"
            self.runs.pump(list(self.groups.values()), meter)
            self._out = self._compare()
            means = [sum(v.values()) / len(v) for v in self.values().values() if v]
            self.runs.status.best_value = max(means, default=None)

    def tell(self) -> None:
        """Close every setting's trial with its mean validation (Optuna's tools read it)."""
        import optuna

        for group in self.groups.values():
            if group.told:
                continue
            values = group.seed_values()
            state.save_seed_values(group)
            if values:
                self.study.tell(group.trial, sum(values.values()) / len(values))
            else:
                self.study.tell(group.trial, state=optuna.trial.TrialState.FAIL)
            group.told = True
            self.runs.status.count("complete" if values else "failed")

    def _assigned(self) -> list[int]:
        return [len(self.groups[a].seeds) if a in self.groups else 0 for a in range(len(self.settings))]

    def _compare(self) -> set[int]:
        """Settings worse than the current pick, from the runs finished so far (recomputed after
        every batch of events)."""
        values = self.values()
        estimates = Estimates.of(values)
        if estimates is not None and self.prior_arms:
            estimates = blend(estimates, self.prior_arms)
        comparison = None if estimates is None else Comparison.of(values, leader=estimates.pick)
        return set() if comparison is None else comparison.worse(self.level)

    def _alive(self) -> set[int]:
        assigned = self._assigned()
        return {a for a in range(len(self.settings)) if a not in self._out and assigned[a] < self.max_seeds}

    def _certain(self) -> str | None:
        untried = len(self.settings) - len(self.groups)
        return "confident" if not untried and len(self._out) == len(self.settings) - 1 else None

    def _in_flight(self) -> int:
        return sum(len(g.running) for g in self.groups.values())

    def _pull(self, arm: int) -> None:
        group = self.groups.get(arm)
        while group is None:
            self.study.enqueue_trial(self.settings[arm])
            trial = self.study.ask()
            settings = self.space.suggest(trial)  # the enqueued values: the trial records them as params
            if self._index[_key(settings)] in self.groups:  # a trial enqueued just before a crash, for a setting tried since
                self.study.tell(trial, state=_failed())
                continue
            arm = self._index[_key(settings)]
            group = self.groups[arm] = TrialRuns(trial, settings, {}, self.iterations)
        self.runs.add_run(group, len(group.seeds), score_test=True)  # seed s of every setting: paired comparisons

    def _stop_runs(self, *, all_runs: bool) -> None:
        """Stop the runs of eliminated settings (or every run once the search is over)."""
        for arm, group in self.groups.items():
            if all_runs or arm in self._out:
                self.runs.stop(group)


def _failed() -> Any:
    import optuna

    return optuna.trial.TrialState.FAIL


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))
