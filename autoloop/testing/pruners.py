"""The contract every registered pruner keeps, as a pytest class to run against a registered one.

A trial reports, at each validation step, the mean over its seeds of each run's best validation
so far (higher is better; the controller's ``OptunaStrategy``). Contract: the factory builds an
``optuna.pruners.BasePruner``; no trial is pruned before ``min_resource`` steps; the first trial
(nothing to compare with) is never pruned; a trial that leads every other at every step is never
pruned; the same reports give the same decisions (a seeded study repeats).

Example:
    >>> class TestMyPruner(PrunerContract):  # doctest: +SKIP
    ...     @pytest.fixture
    ...     def pruner_name(self):
    ...         return "mine"
"""

from __future__ import annotations

import numpy as np

from autoloop.controller import make_pruner
from autoloop.testing._pytest import pytest

__all__ = ["PrunerContract"]

ITERATIONS, MIN_RESOURCE = 9, 3


class PrunerContract:
    """Checks a registered pruner; subclass and provide the ``pruner_name`` fixture."""

    @pytest.fixture
    def pruner_name(self) -> str:
        """Override in the test class: the registered name of the pruner under test."""
        pytest.fail(f"{__name__}: define a `pruner_name` fixture in your test class returning a registered pruner's name")

    def test_builds_an_optuna_pruner(self, pruner_name: str) -> None:
        import optuna

        assert isinstance(make_pruner(pruner_name, iterations=ITERATIONS, min_resource=MIN_RESOURCE), optuna.pruners.BasePruner)

    def test_waits_for_min_resource_and_spares_the_first_and_the_leader(self, pruner_name: str) -> None:
        decisions = _decisions(pruner_name, seed=0)
        assert not any(step < MIN_RESOURCE for trial in decisions.values() for step in trial)
        assert 0 not in decisions  # the first trial: nothing to compare with
        assert 1 not in decisions  # the leader at every step

    def test_the_same_reports_give_the_same_decisions(self, pruner_name: str) -> None:
        assert _decisions(pruner_name, seed=1) == _decisions(pruner_name, seed=1)


def _decisions(pruner_name: str, *, seed: int) -> dict[int, list[int]]:
    """Trial number -> steps at which the pruner said prune, over 12 trials of noisy curves;
    trial 1 leads every other trial at every step."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(seed)
    study = optuna.create_study(
        study_name=f"contract-{seed}", direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=make_pruner(pruner_name, iterations=ITERATIONS, min_resource=MIN_RESOURCE),
    )
    pruned: dict[int, list[int]] = {}
    for number in range(12):
        trial = study.ask()
        level = 10.0 if number == 1 else rng.normal(0, 1)
        value = level
        for step in range(1, ITERATIONS + 1):
            value = max(value, level + rng.normal(0, 0.3) + 0.1 * step)
            trial.report(value, step)
            if trial.should_prune():
                pruned.setdefault(number, []).append(step)
                break
        if number in pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, value)
    return pruned
