"""Sampler factories: name -> factory of an Optuna sampler (``register_sampler``, in
``_optuna_search``, adds one to ``SAMPLERS`` together with the search strategy that runs it)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from autoloop.controller._registry import Registry
from autoloop.controller._space import SearchSpace

if TYPE_CHECKING:
    import optuna


@runtime_checkable
class SamplerFactory(Protocol):
    """Builds a study's sampler for its search space.

    Args:
        space: What the trials choose from (every knob is categorical).
        seed: Sampler seed (``None`` = unseeded).

    Returns:
        An ``optuna.samplers.BaseSampler``; it runs under ask/tell, so it must not call
        ``study.stop()`` (the controller ends the search when the space is exhausted).
    """

    def __call__(self, space: SearchSpace, *, seed: int | None) -> optuna.samplers.BaseSampler: ...


def _sampler_type() -> type:
    import optuna

    return optuna.samplers.BaseSampler


SAMPLERS: Registry[SamplerFactory] = Registry("sampler", "factory(space, seed=...)", _sampler_type)


def sampler_names() -> tuple[str, ...]:
    """Registered sampler names, built-ins first."""
    return SAMPLERS.names()


def make_sampler(name: str, space: SearchSpace, *, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """Build the sampler registered as ``name`` for ``space``.

    Raises:
        UnknownNameError: No sampler of that name; the message lists the registered ones.
        ConfigError: The factory returned something other than an Optuna sampler.
    """
    return SAMPLERS.build(name, space, seed=seed)


def _tpe(space: SearchSpace, *, seed: int | None) -> optuna.samplers.BaseSampler:
    """Multivariate TPE with a constant liar for parallel trials."""
    import optuna

    startup = min(max(2, space.size // 3), 10)  # a few random settings first, fewer in small spaces
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # multivariate/group: stable enough
        return optuna.samplers.TPESampler(
            multivariate=True, group=True, constant_liar=True, n_startup_trials=startup, seed=seed
        )


def _random(space: SearchSpace, *, seed: int | None) -> optuna.samplers.BaseSampler:
    """Uniform over the space."""
    import optuna

    del space  # every knob is categorical: nothing to configure
    return optuna.samplers.RandomSampler(seed=seed)


def _grid(space: SearchSpace, *, seed: int | None) -> optuna.samplers.BaseSampler:
    """Every setting once, in a seeded random order."""
    from autoloop.controller._grid import AskTellGridSampler

    return AskTellGridSampler({k: list(v) for k, v in space.choices.items()}, seed=seed)


BUILTIN_SAMPLERS: dict[str, SamplerFactory] = {"tpe": _tpe, "random": _random, "grid": _grid}
