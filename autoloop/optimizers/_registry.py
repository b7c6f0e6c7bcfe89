"""Optimizer registry: built-ins and ``autoloop.optimizers`` entry points, by name."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from autoloop.errors import UnknownNameError
from autoloop.llm import LLMConfig
from autoloop.optimizers._base import Optimizer

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


def default_optimizer_name(llm: LLMConfig) -> str:
    """``llm`` when an endpoint is configured, otherwise the offline ``local`` optimizer."""
    return "llm" if llm.configured else "local"


def create_optimizer(name: str | None, *, llm: LLMConfig | None = None, seed: int = 0) -> Optimizer:
    """Build the optimizer ``name`` (``None`` picks by whether an LLM endpoint is configured).

    Raises:
        UnknownNameError: No optimizer of that name.
        ConfigError: ``llm`` chosen without an endpoint.
    """
    llm = llm or LLMConfig.from_env()
    name = name or default_optimizer_name(llm)
    if name not in optimizer_names():
        raise UnknownNameError(f"unknown optimizer {name!r}; choose one of {optimizer_names()}")
    return _FACTORIES[name](llm, seed)
