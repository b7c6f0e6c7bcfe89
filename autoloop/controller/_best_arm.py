"""BestArmSearch: seeds are the resource; one Optuna trial per setting, grown one seed at a time.

The strategy for small discrete spaces (up to ``BEST_ARM_MAX_SETTINGS`` settings; ``auto``
picks it there and TPE beyond). An allocation rule (``_arms.RULES``) chooses which setting
gets its next seed; seed ``s`` of every setting is the same common random number, so
settings are compared on paired differences. Settings worse than the leader at the study's
confidence (paired t-tests, ``Comparison.worse``) get no more seeds, and their runs still in
flight are stopped on their partial curve: that is the fidelity rule, a run is dropped as
soon as its setting is eliminated by the runs that finished.

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
from autoloop.controller._trials import TrialRuns

if TYPE_CHECKING:
    import optuna

    from autoloop.controller._budget import Meter

__all__ = ["BEST_ARM_MAX_SETTINGS", "BestArmSearch"]


class BestArmSearch:
    """One best-arm search of a controller's space.

    Args:
        controller: The ``Controller`` whose executor, plan, space and run bookkeeping the search
            uses (typed loosely: the controller imports this module, not the other way round).
        study: The Optuna study every run is recorded in.
        rule: Which setting gets the next seed.
        level: Confidence of the eliminations.
        restored: Trials found in the study (a resumed search continues them).
    """

    def __init__(
        self, controller: Any, study: optuna.Study, rule: AllocationRule, level: float, restored: list[TrialRuns]
    ) -> None:
        self.ctl, self.study, self.rule, self.level = controller, study, rule, level
        self.rng = np.random.default_rng(controller.seed)
        grid = controller.space.grid()
        # A seeded order: which setting is tried first must not favor the grid's first corner.
        self.settings = [grid[i] for i in self.rng.permutation(len(grid))]
        self._index = {_key(s): i for i, s in enumerate(self.settings)}
        self.groups: dict[int, TrialRuns] = {self._index[_key(g.settings)]: g for g in restored}
        self._out = self._compare()

    def values(self) -> dict[int, dict[int, float]]:
        """Arm -> {seed: best validation} of the runs that ran to their end."""
        return {arm: g.seed_values() for arm, g in self.groups.items()}

    def run(self, meter: Meter) -> str:
        """Pull seeds until the budget ends or the pick is certain; returns the stop reason."""
        for group in self.groups.values():
            self.ctl._submit(group, score_test=True, pending_only=True)
        reason: str | None = None
        while True:
            reason = reason or meter.exhausted() or self._certain()
            while reason is None and self._in_flight() < self.ctl.parallel:
                committed = sum(g.remaining_iterations for g in self.groups.values()) + self.ctl.plan.iterations
                if not meter.can_start(committed):
                    reason = None if self._in_flight() else meter.exhausted() or "iterations"
                    break
                arm = self.rule.next_arm(self.values(), self._assigned(), self._alive(), self.rng)
                if arm is None:
                    reason = None if self._in_flight() else "seeds"
                    break
                self._pull(arm)
            self._stop_runs(all_runs=reason is not None)
            if not self._in_flight():
                return reason or "seeds"
            self.ctl._pump(list(self.groups.values()), meter)
            self._out = self._compare()
            means = [sum(v.values()) / len(v) for v in self.values().values() if v]
            self.ctl.status.best_value = max(means, default=None)

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
            outcome = "complete" if values else "failed"
            self.ctl.status.trials[outcome] = self.ctl.status.trials.get(outcome, 0) + 1

    def _assigned(self) -> list[int]:
        return [len(self.groups[a].seeds) if a in self.groups else 0 for a in range(len(self.settings))]

    def _compare(self) -> set[int]:
        """Settings eliminated by the runs finished so far (recomputed after every batch of events)."""
        comparison = Comparison.of(self.values())
        return set() if comparison is None else comparison.worse(self.level)

    def _alive(self) -> set[int]:
        assigned = self._assigned()
        return {a for a in range(len(self.settings)) if a not in self._out and assigned[a] < self.ctl.max_seeds}

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
            settings = self.ctl.space.suggest(trial)  # the enqueued values: the trial records them as params
            if self._index[_key(settings)] in self.groups:  # a trial enqueued just before a crash, for a setting tried since
                self.study.tell(trial, state=_failed())
                continue
            arm = self._index[_key(settings)]
            group = self.groups[arm] = TrialRuns(trial, settings, {}, self.ctl.plan.iterations)
        seed = len(group.seeds)  # seed s of every setting: paired comparisons
        run_id = f"{self.ctl._id}-t{group.trial.number}-s{seed}"
        group.add_run(run_id, seed)
        state.save_group(self.study, group)
        self.ctl.executor.submit(self.ctl._job(run_id, group.settings, seed, score_test=True))

    def _stop_runs(self, *, all_runs: bool) -> None:
        """Stop the runs of eliminated settings (or every run once the search is over)."""
        for arm, group in self.groups.items():
            if all_runs or arm in self._out:
                for run_id in group.running:
                    if run_id not in group.stopping:
                        group.stopping.add(run_id)
                        self.ctl.executor.stop(run_id)


def _failed() -> Any:
    import optuna

    return optuna.trial.TrialState.FAIL


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))
