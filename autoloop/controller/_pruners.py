"""Pruner registry: name -> factory of the Optuna pruner that cuts trials from their validation curve."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from autoloop.controller._registry import Registry

if TYPE_CHECKING:
    import optuna

# Chosen by the tabular benchmark (benchmarks/tabular): see its README for the comparison.
DEFAULT_PRUNER = "hyperband"


@runtime_checkable
class PrunerFactory(Protocol):
    """Builds a study's pruner.

    A trial reports, at each validation step, the mean over its seeds of each run's best
    validation score so far (higher is better); the step is the loop iteration.

    Args:
        iterations: Iterations of one loop run (the maximum resource).
        min_resource: Iterations every trial gets before it may be pruned.

    Returns:
        Any ``optuna.pruners.BasePruner``, Optuna's or your own subclass.
    """

    def __call__(self, *, iterations: int, min_resource: int) -> optuna.pruners.BasePruner: ...


def _pruner_type() -> type:
    import optuna

    return optuna.pruners.BasePruner


PRUNERS: Registry[PrunerFactory] = Registry("pruner", "factory(iterations=..., min_resource=...)", _pruner_type)


def register_pruner(name: str, factory: PrunerFactory) -> None:
    """Register ``factory(*, iterations, min_resource) -> BasePruner`` under ``name`` (a later one replaces it).

    Example:
        >>> import optuna
        >>> register_pruner("median", lambda *, iterations, min_resource: optuna.pruners.MedianPruner(
        ...     n_warmup_steps=min_resource))
        >>> "median" in pruner_names()
        True

    Raises:
        ConfigError: ``name`` is empty or ``factory`` is not callable.
    """
    PRUNERS.add(name, factory)


def pruner_names() -> tuple[str, ...]:
    """Registered pruner names, built-ins first."""
    return PRUNERS.names()


def make_pruner(name: str, *, iterations: int, min_resource: int) -> optuna.pruners.BasePruner:
    """Build the pruner registered as ``name``.

    Args:
        name: Registered pruner name.
        iterations: Iterations of one loop run (the maximum resource).
        min_resource: Iterations every trial gets before it may be pruned.

    Raises:
        UnknownNameError: No pruner of that name; the message lists the registered ones.
        ConfigError: The factory returned something other than an Optuna pruner.
    """
    return PRUNERS.build(name, iterations=iterations, min_resource=min_resource)


def _successive_halving(*, iterations: int, min_resource: int) -> optuna.pruners.BasePruner:
    import optuna

    del iterations  # successive halving needs no maximum
    return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=3)


def _hyperband(*, iterations: int, min_resource: int) -> optuna.pruners.BasePruner:
    import optuna

    return optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=iterations, reduction_factor=3)


def _wilcoxon(*, iterations: int, min_resource: int) -> optuna.pruners.BasePruner:
    import optuna

    del iterations  # the test compares curves step by step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=min_resource)


def _none(*, iterations: int, min_resource: int) -> optuna.pruners.BasePruner:
    import optuna

    del iterations, min_resource  # never prunes
    return optuna.pruners.NopPruner()


register_pruner("hyperband", _hyperband)
register_pruner("sha", _successive_halving)
register_pruner("wilcoxon", _wilcoxon)
register_pruner("none", _none)
