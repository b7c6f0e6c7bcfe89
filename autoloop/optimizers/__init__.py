"""Optimizers: ``propose(context) -> Artifact``; ``local`` (offline) and ``llm`` (OpenAI-compatible)."""

from autoloop.optimizers._base import Optimizer
from autoloop.optimizers._llm import LLMOptimizer
from autoloop.optimizers._local import LocalOptimizer
from autoloop.optimizers._registry import (
    check_optimizer,
    create_optimizer,
    default_optimizer_name,
    optimizer_names,
    register_optimizer,
)

__all__ = [
    "LLMOptimizer",
    "LocalOptimizer",
    "Optimizer",
    "check_optimizer",
    "create_optimizer",
    "default_optimizer_name",
    "optimizer_names",
    "register_optimizer",
]
