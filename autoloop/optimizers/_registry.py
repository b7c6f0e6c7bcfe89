"""Optimizer registry: built-ins and ``autoloop.optimizers`` entry points, by name."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from autoloop.errors import UnknownNameError
from autoloop.llm import Endpoint, LLMConfig
from autoloop.optimizer import Optimizer

ENTRY_POINT_GROUP = "autoloop.optimizers"

OptimizerFactory = Callable[[LLMConfig, int], Optimizer]
_FACTORIES: dict[str, OptimizerFactory] = {}


def register_optimizer(name: str, factory: OptimizerFactory) -> None:
    """Register ``factory(llm_config, seed) -> Optimizer`` under ``name``."""
    _FACTORIES[name] = factory


def optimizer_names() -> list[str]:
    """Registered optimizer names, built-in and plug-in."""
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _FACTORIES:
            register_optimizer(entry.name, entry.load())
    return sorted(_FACTORIES)


def default_optimizer_name(endpoint: LLMConfig | Endpoint) -> str:
    """``llm`` when ``endpoint`` is configured, otherwise the offline ``local`` optimizer.

    Called once where a run is planned (CLI, service), never by a worker.
    """
    return "llm" if endpoint.configured else "local"


def create_optimizer(name: str, *, llm: LLMConfig | None = None, seed: int = 0) -> Optimizer:
    """Build the optimizer ``name`` with the endpoint ``llm``; nothing is read from the environment.

    Args:
        name: A registered optimizer name (see ``optimizer_names``).
        llm: Its endpoint (``None`` = none, which the ``llm`` optimizer rejects).
        seed: Seed of its randomness.

    Raises:
        UnknownNameError: No optimizer of that name.
        ConfigError: ``llm`` chosen without an endpoint.
    """
    check_optimizer(name)
    return _FACTORIES[name](llm or LLMConfig(), seed)


def check_optimizer(name: str) -> str:
    """Return ``name`` if an optimizer is registered under it.

    Raises:
        UnknownNameError: No optimizer of that name; the message lists the known ones.
    """
    if name not in optimizer_names():
        raise UnknownNameError(f"unknown optimizer {name!r}; choose one of {optimizer_names()}")
    return name
