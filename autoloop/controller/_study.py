"""Optuna study creation: storage, and the sampler and pruner chosen by registered name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoloop.controller._pruners import DEFAULT_PRUNER, make_pruner
from autoloop.controller._samplers import make_sampler
from autoloop.controller._space import SearchSpace

if TYPE_CHECKING:
    import optuna


def create_study(
    space: SearchSpace,
    *,
    sampler: str,
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
        sampler: A name from ``sampler_names()``.
        pruner: A name from ``pruner_names()``.
        iterations: Iterations per loop run (the pruners' maximum resource).
        min_resource: Iterations before a trial may be pruned.
        seed: Sampler seed.
        storage: Optuna storage URL or object (``None`` = in memory); an existing study
            of the same name is resumed.
        study_name: Name in ``storage``; in memory without one, ``autoloop-<seed>``: Optuna's
            Hyperband buckets trials by ``crc32(study_name + number)``, so a random name would
            make a seeded study unrepeatable.

    Raises:
        UnknownNameError: ``sampler`` or ``pruner`` is not registered.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        storage=storage,
        study_name=study_name or (f"autoloop-{seed}" if storage is None else None),
        direction="maximize",
        sampler=make_sampler(sampler, space, seed=seed),
        pruner=make_pruner(pruner, iterations=iterations, min_resource=min_resource),
        load_if_exists=study_name is not None,
    )
