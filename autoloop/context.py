"""LearningContext: what the optimizer sees for one update, and the one function that builds it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autoloop.artifact import Artifact
from autoloop.errors import SplitLeakError
from autoloop.trace import SEALED, Trace


@dataclass(frozen=True)
class Attempt:
    """A past update, remembered for the optimizer: which revision, what it changed, how it did."""

    iteration: int
    artifact_hash: str
    changed: tuple[str, ...]
    batch_score: float


@dataclass(frozen=True)
class LearningContext:
    """The evidence for one optimizer update.

    Args:
        artifact: The artifact the traces were produced by.
        traces: ``batch_size`` traces, each cut to the credit horizon.
        background: Task description: the goal, the metric, the interface.
        memory: The most recent past attempts, oldest first.
        iteration: The loop iteration this update belongs to.
    """

    artifact: Artifact
    traces: tuple[Trace, ...]
    background: str
    memory: tuple[Attempt, ...] = ()
    iteration: int = 0

    @property
    def batch_score(self) -> float:
        """Mean score of the traces in this batch."""
        return sum(t.score for t in self.traces) / len(self.traces)


def build_context(
    artifact: Artifact,
    traces: Sequence[Trace],
    *,
    horizon: int,
    background: str,
    memory: Sequence[Attempt] = (),
    iteration: int = 0,
) -> LearningContext:
    """Concatenate a batch of traces, each cut at ``horizon`` steps, into one LearningContext.

    Raises:
        SplitLeakError: A trace came from a sealed split (test, revalidation); their data never reaches an optimizer.
        ValueError: The batch is empty.
    """
    if not traces:
        raise ValueError("a LearningContext needs at least one trace")
    leaked = [f"{t.split}:{t.instance_id}" for t in traces if t.split in SEALED]
    if leaked:
        raise SplitLeakError(f"sealed-split instances {leaked} must never reach the optimizer")
    return LearningContext(
        artifact=artifact,
        traces=tuple(t.cut(horizon) for t in traces),
        background=background,
        memory=tuple(memory),
        iteration=iteration,
    )
