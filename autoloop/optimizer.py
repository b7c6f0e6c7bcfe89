"""The Optimizer base class: one verb, ``propose(context) -> Artifact``.

It sits with the vocabulary (layer 0) so the loop drives optimizers by this one type; the
implementations and their registry live in ``autoloop.optimizers``.
"""

from __future__ import annotations

import abc
from typing import Any

from autoloop.artifact import Artifact
from autoloop.context import LearningContext
from autoloop.llm import Usage


class Optimizer(abc.ABC):
    """Reads the evidence of one update and proposes the next artifact revision.

    Implementations are registered by name (``register_optimizer``) and built with a seed.
    Their state must survive a checkpoint: ``state`` returns JSON-ready data that
    ``load_state`` restores, so a resumed loop run continues as if never stopped.
    """

    name: str = ""

    def __init__(self) -> None:
        self.usage = Usage()

    @abc.abstractmethod
    def propose(self, context: LearningContext) -> Artifact:
        """Return the next revision of ``context.artifact`` (possibly the same one)."""

    def state(self) -> dict[str, Any]:
        """JSON-ready state for checkpoints (default: usage only)."""
        return {"usage": vars(self.usage).copy()}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state`` returned."""
        self.usage = Usage(**state.get("usage", {}))
