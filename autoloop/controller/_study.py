"""Optuna study creation: storage, sampler and pruner chosen by name."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from autoloop.controller._space import SearchSpace
from autoloop.errors import ConfigError

if TYPE_CHECKING:
    import optuna

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("sha", "hyperband", "wilcoxon", "none")
DEFAULT_SAMPLER = "tpe"
# Chosen by the tabular benchmark (benchmarks/tabular): see its README for the comparison.
DEFAULT_PRUNER = "hyperband"


def make_sampler(name: str, space: SearchSpace, *, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """``tpe`` (multivariate, constant liar for parallel trials), ``random`` or ``grid``."""
    import optuna

    if name == "tpe":
        startup = min(max(2, space.size // 3), 10)  # a few random settings first, fewer in small spaces
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # multivariate/group: stable enough
            return optuna.samplers.TPESampler(
                multivariate=True, group=True, constant_liar=True, n_startup_trials=startup, seed=seed
            )
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler({k: list(v) for k, v in space.choices.items()}, seed=seed)
    raise ConfigError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")


def make_pruner(name: str, *, iterations: int, min_resource: int) -> optuna.pruners.BasePruner:
    """``sha`` (successive halving), ``hyperband``, ``wilcoxon`` or ``none``.

    Args:
        name: Pruner name.
        iterations: Iterations of one loop run (the maximum resource).
        min_resource: Iterations every trial gets before it may be pruned.
    """
    import optuna

    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=3)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=iterations, reduction_factor=3)
    if name == "wilcoxon":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=min_resource)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"unknown pruner {name!r}; choose one of {', '.join(PRUNERS)}")


def create_study(
    space: SearchSpace,
    *,
    sampler: str = DEFAULT_SAMPLER,
    pruner: str = DEFAULT_PRUNER,
    iterations: int,
    min_resource: int,
    seed: int | None = None,
    storage: str | optuna.storages.BaseStorage | None = None,
    study_name: str | None = None,
) -> optuna.Study:
    """An Optuna study maximizing the mean validation score of a loop setting.

    Args:
        space: What trials choose from.
        sampler: One of ``SAMPLERS``.
        pruner: One of ``PRUNERS``.
        iterations: Iterations per loop run (the pruners' maximum resource).
        min_resource: Iterations before a trial may be pruned.
        seed: Sampler seed.
        storage: Optuna storage URL or object (``None`` = in memory); an existing study
            of the same name is resumed.
        study_name: Name in ``storage``.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction="maximize",
        sampler=make_sampler(sampler, space, seed=seed),
        pruner=make_pruner(pruner, iterations=iterations, min_resource=min_resource),
        load_if_exists=study_name is not None,
    )
