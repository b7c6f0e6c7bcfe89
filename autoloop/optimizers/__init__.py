"""Optimizers: ``propose(context) -> Artifact``; ``local`` (offline) and ``llm`` (OpenAI-compatible)."""

from autoloop.optimizer import Optimizer
from autoloop.optimizers._llm import LLMOptimizer
from autoloop.optimizers._llm_window import fit_messages, smallest_prompt_tokens
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
    "fit_messages",
    "optimizer_names",
    "register_optimizer",
    "smallest_prompt_tokens",
]
