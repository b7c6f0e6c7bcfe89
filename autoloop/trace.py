"""Traces: the steps of one rollout, with per-step feedback and the overall score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Split = Literal["train", "val", "test", "revalidation"]
SPLITS: tuple[Split, ...] = ("train", "val", "test", "revalidation")
# Splits whose instances never reach an optimizer: test (read once, to report) and
# revalidation (read once per finished run, to rank runs by what they return).
SEALED: tuple[Split, ...] = ("test", "revalidation")


@dataclass(frozen=True)
class Instance:
    """One unit a rollout runs on: an example, a fold, an environment seed.

    Args:
        id: Stable identifier, unique within the task.
        split: The split the instance belongs to.
        data: Whatever the task's rollout needs; opaque to the loop.
    """

    id: str
    split: Split
    data: Any = None


@dataclass(frozen=True)
class Step:
    """One step of a run: what went in, what came out, and what the oracle said."""

    input: str
    output: str
    feedback: str = ""
    reward: float = 0.0


# The metric a task reports its own LLM tokens under (see ``Trace``).
TASK_TOKENS = "llm_tokens"


@dataclass(frozen=True)
class Trace:
    """The record of one rollout of an artifact on one instance.

    Args:
        instance_id: The instance that was run.
        split: Its split; the loop refuses to show ``test`` and ``revalidation`` traces to an optimizer.
        steps: The steps, in order.
        score: The scalar outcome, higher is better (tasks negate errors such as RMSE).
        feedback: Overall feedback text for the run.
        error: Why the evaluation failed (timeout, crash, exception), or ``None``.
        metrics: Extra named numbers (accuracy, f1, rmse, ...). ``TASK_TOKENS`` (``llm_tokens``): LLM
            tokens the task itself spent on this rollout (an executor model's; 0 for a cached
            reply), counted into the run's tokens next to the optimizer's.
    """

    instance_id: str
    split: Split
    steps: tuple[Step, ...]
    score: float
    feedback: str = ""
    error: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when the candidate crashed, hung or was stopped by the sandbox."""
        return self.error is not None

    def cut(self, horizon: int) -> Trace:
        """The first ``horizon`` steps: the credit the optimizer gets for one update."""
        if horizon < 1:
            raise ValueError(f"credit horizon must be >= 1, got {horizon=}")
        if len(self.steps) <= horizon:
            return self
        return replace(self, steps=self.steps[:horizon])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (steps as lists)."""
        return {
            "instance_id": self.instance_id,
            "split": self.split,
            "steps": [vars(s) for s in self.steps],
            "score": self.score,
            "feedback": self.feedback,
            "error": self.error,
            "metrics": dict(self.metrics),
        }


def failed_trace(instance: Instance, error: str, *, score: float) -> Trace:
    """A trace for an evaluation that did not complete; ``score`` is the task's floor."""
    return Trace(instance.id, instance.split, (), score, feedback=f"Evaluation failed: {error}", error=error)
