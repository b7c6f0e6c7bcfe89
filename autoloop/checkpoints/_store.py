"""Checkpoint stores: where a loop run writes its state after every iteration."""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field
from typing import Any

from autoloop.failures import FailureTally


@dataclass
class Checkpoint:
    """Everything a loop run needs to resume after its last completed iteration.

    Args:
        iteration: Last completed iteration (0 = only the starting artifact was validated).
        current: The artifact the next iteration starts from (``Artifact.to_dict``).
        best: The best-by-validation artifact so far.
        best_val: Its validation score.
        curve: ``[iteration, validation score]`` pairs, in order.
        memory: Past attempts (``Attempt`` fields) shown to the optimizer.
        optimizer: The optimizer's ``state()``.
        stale: Validations since the last improvement.
        elapsed_s: Wall time spent so far, summed over resumptions.
        stopped: Why the run ended early (``patience``, ``pruned``, ``cancelled``), if it did.
        test: Test score of ``best``, once the run is final.
        test_scores: Its score on each test instance, in split order.
        revalidation: ``best`` re-scored once on the revalidation split at the run's end
            (``Revalidation.to_dict``), or ``None`` before that.
        failures: Candidate evaluations so far, how many failed and why.
        skipped: Updates skipped so far (see ``SkippedUpdateError``).
        skips_in_a_row: Skipped updates since the last one made.
        skip_reasons: Why the latest skipped updates were skipped, oldest first.
        task_tokens: LLM tokens the task itself spent so far (an executor's, ``trace.TASK_TOKENS``).
    """

    iteration: int
    current: dict[str, Any]
    best: dict[str, Any]
    best_val: float
    curve: list[list[float]] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)
    optimizer: dict[str, Any] = field(default_factory=dict)
    stale: int = 0
    elapsed_s: float = 0.0
    stopped: str | None = None
    test: float | None = None
    test_scores: list[float] = field(default_factory=list)
    revalidation: dict[str, Any] | None = None
    failures: FailureTally = field(default_factory=FailureTally)
    skipped: int = 0
    skips_in_a_row: int = 0
    skip_reasons: list[str] = field(default_factory=list)
    task_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``from_dict`` reads it back."""
        return {**asdict(self), "failures": self.failures.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """The checkpoint ``to_dict`` wrote (``TypeError`` or ``ConfigError`` for JSON of another shape)."""
        return cls(**{**data, "failures": FailureTally.from_dict(data.get("failures", {}))})


class CheckpointStore(abc.ABC):
    """Keeps the latest checkpoint of each loop run, keyed by run id."""

    @abc.abstractmethod
    def save(self, run_id: str, checkpoint: Checkpoint) -> None:
        """Atomically replace the checkpoint of ``run_id``."""

    @abc.abstractmethod
    def load(self, run_id: str) -> Checkpoint | None:
        """The latest checkpoint of ``run_id``, or ``None`` if it never saved one."""
