"""The Executor interface: where a controller sends loop runs and hears back from them.

Transport-neutral on purpose: ``LocalExecutor`` runs jobs in worker processes on this
machine, the service runs them on an RQ queue. A controller only ever calls these four
methods.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Literal, Self

from autoloop.jobs import LoopJob
from autoloop.loop import Progress

EventKind = Literal["progress", "done", "failed"]


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to one submitted loop run.

    Args:
        run_id: The ``LoopJob.run_id`` this is about.
        kind: ``progress`` after each iteration, then exactly one of ``done`` or ``failed``.
        progress: The loop's ``Progress`` (``progress`` events only).
        result: ``LoopResult.to_dict()`` plus ``test_curve`` when the job scored test
            (``done`` events only).
        error: What went wrong (``failed`` events only).
    """

    run_id: str
    kind: EventKind
    progress: Progress | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def terminal(self) -> bool:
        """True for the last event of a run (``done`` or ``failed``)."""
        return self.kind != "progress"


class Executor(abc.ABC):
    """Runs ``LoopJob`` s somewhere and streams their events back.

    Contract: every submitted job ends with exactly one terminal event (``done`` or
    ``failed``), also when it was stopped or the process running it died; progress
    events flow while the job runs, in iteration order per run.
    """

    @abc.abstractmethod
    def submit(self, job: LoopJob) -> None:
        """Queue ``job``; it starts when a worker is free."""

    @abc.abstractmethod
    def events(self, timeout: float) -> list[RunEvent]:
        """Events since the last call; waits up to ``timeout`` seconds for the first one."""

    @abc.abstractmethod
    def stop(self, run_id: str) -> None:
        """Ask a run to stop after its current iteration (a queued run never starts)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop every run and release workers; the executor is unusable afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
