"""The Executor interface: where a controller sends loop runs and hears back from them.

Transport-neutral on purpose: ``LocalExecutor`` runs jobs in worker processes on this
machine, ``RQExecutor`` on an RQ queue. A controller only ever calls these four methods.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from typing import Any, Literal, Self

from autoloop.executors._job import LoopJob
from autoloop.loop import RunProgress
from autoloop.outcome import RunOutcome

EventKind = Literal["progress", "done", "stopped", "failed"]


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to one submitted loop run.

    Args:
        run_id: The ``LoopJob.run_id`` this is about.
        kind: ``progress`` after each iteration, then exactly one terminal event: ``done``
            (with a ``result``; candidate failures are counted in it), ``stopped`` (stopped
            before it produced a result) or ``failed`` (an infrastructure error that
            persisted: endpoint down, Redis, sandbox server, missing data).
        progress: The loop's ``RunProgress`` (``progress`` events only).
        result: The run's ``RunOutcome`` (``done`` events only).
        error: What went wrong (``stopped`` and ``failed`` events).
    """

    run_id: str
    kind: EventKind
    progress: RunProgress | None = None
    result: RunOutcome | None = None
    error: str | None = None

    @property
    def terminal(self) -> bool:
        """True for the last event of a run."""
        return self.kind != "progress"

    def to_json(self) -> str:
        """The event as JSON; ``from_json`` reads it back."""
        data: dict[str, Any] = {"run_id": self.run_id, "kind": self.kind, "error": self.error}
        data["progress"] = self.progress.to_dict() if self.progress is not None else None
        data["result"] = self.result.to_dict() if self.result is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> RunEvent:
        """The event ``to_json`` wrote."""
        data = json.loads(raw)
        progress = RunProgress.from_dict(data["progress"]) if data.get("progress") is not None else None
        result = RunOutcome.from_dict(data["result"]) if data.get("result") is not None else None
        return cls(data["run_id"], data["kind"], progress=progress, result=result, error=data.get("error"))


class Executor(abc.ABC):
    """Runs ``LoopJob`` s somewhere and streams their events back.

    Contract: every submitted job ends with exactly one terminal event (``done``,
    ``stopped`` or ``failed``), also when it was stopped or the process running it died;
    progress events flow while the job runs, in iteration order per run. Submitting a job
    whose run already ended reports its recorded outcome instead of running it again
    (executors that keep no records report it as new).
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
