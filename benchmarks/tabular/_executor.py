"""TableExecutor: the inner loop becomes a lookup in the recorded table.

It is a real ``Executor``, so the autoloop ``Controller`` runs unchanged against it: runs
advance one iteration per ``events`` call (``parallel`` at a time, in lockstep), a stop
takes effect at the next iteration, and every iteration replayed is counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from autoloop.errors import ConfigError
from autoloop.executors import Executor, LoopJob, RunEvent
from autoloop.loop import RunProgress
from autoloop.outcome import RunOutcome
from benchmarks.tabular._table import KNOBS, Run, TaskTable


@dataclass
class _Replay:
    job: LoopJob
    run: Run
    iteration: int = 0

    @property
    def planned(self) -> int:
        return self.job.loop_settings.iterations

    def result(self, stopped: bool) -> RunOutcome:
        full = self.iteration == self.planned
        tested = self.job.score_test and full
        return RunOutcome(
            run_id=self.job.run_id, settings=self.job.settings, optimizer=self.job.optimizer, best_val=self.run.best_val(self.iteration),
            test=self.run.test if tested else None,
            curve=tuple((i, v) for i, v in enumerate(self.run.curve[: self.iteration + 1])),
            test_curve=tuple(tuple(p) for p in self.run.test_curve) if tested else (),  # type: ignore[misc]
            iterations=self.iteration, stopped="stopped" if stopped and not full else None,
            revalidation=self.run.revalidation if full and self.iteration >= self.run.iterations else None,
        )


class TableExecutor(Executor):
    """Replays recorded runs for the jobs it is given.

    Args:
        table: The task's recorded runs.
        seed_index: Maps a job's seed to the index of a recorded seed of its setting.
        parallel: Runs advanced together (like worker processes).
    """

    def __init__(self, table: TaskTable, seed_index: Callable[[int], int], *, parallel: int = 2) -> None:
        self.table = table
        self.seed_index = seed_index
        self.parallel = parallel
        self.consumed = 0
        self._pending: deque[LoopJob] = deque()
        self._running: dict[str, _Replay] = {}
        self._stopped: set[str] = set()
        self._closed = False

    def submit(self, job: LoopJob) -> None:
        if self._closed:
            raise ConfigError("this executor is closed; create a new one")
        if job.loop_settings.iterations != self.table.iterations:
            raise ValueError(f"replays need iterations={self.table.iterations} (as recorded), got {job.loop_settings.iterations}")
        self._pending.append(job)

    def stop(self, run_id: str) -> None:
        self._stopped.add(run_id)

    def events(self, timeout: float) -> list[RunEvent]:
        out = []
        while self._pending and len(self._running) < self.parallel:
            job = self._pending.popleft()
            if job.run_id in self._stopped:
                out.append(RunEvent(job.run_id, "stopped", error="stopped before it started"))
                continue
            setting = tuple(job.settings[k] for k in KNOBS)
            runs = self.table.runs[setting]  # type: ignore[index]
            self._running[job.run_id] = _Replay(job, runs[self.seed_index(job.loop_settings.seed) % len(runs)])
        for run_id, replay in list(self._running.items()):
            if run_id in self._stopped or replay.iteration == replay.planned:
                out.append(RunEvent(run_id, "done", result=replay.result(run_id in self._stopped)))
                del self._running[run_id]
                continue
            replay.iteration += 1
            self.consumed += 1
            i = replay.iteration
            out.append(RunEvent(run_id, "progress", progress=RunProgress(i, replay.planned, replay.run.curve[i], replay.run.best_val(i), 0)))
        return out

    def close(self) -> None:
        self._closed = True
        self._pending.clear()
        self._running.clear()
