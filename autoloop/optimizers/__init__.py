"""Optimizers: ``propose(context) -> Artifact``; ``local`` (offline) and ``llm`` (OpenAI-compatible)."""

from autoloop.optimizer import Optimizer
from autoloop.optimizers._llm import LLMOptimizer
from autoloop.optimizers._llm_window import estimate_tokens, fit_messages, smallest_prompt_tokens
from autoloop.optimizers._local import LocalOptimizer
from autoloop.optimizers._prompt import DEFAULT_EVIDENCE_TOKENS, build_messages
from autoloop.optimizers._registry import (
    check_optimizer,
    create_optimizer,
    default_optimizer_name,
    optimizer_names,
    register_optimizer,
)

__all__ = [
    "DEFAULT_EVIDENCE_TOKENS",
    "LLMOptimizer",
    "LocalOptimizer",
    "Optimizer",
    "build_messages",
    "check_optimizer",
    "create_optimizer",
    "default_optimizer_name",
    "estimate_tokens",
    "fit_messages",
    "optimizer_names",
    "register_optimizer",
    "smallest_prompt_tokens",
]
