"""LocalExecutor: loop runs in J worker processes on this machine (or one thread in-process)."""

from __future__ import annotations

import importlib
import multiprocessing
import queue
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autoloop.checkpoints import FileCheckpointStore
from autoloop.errors import ConfigError
from autoloop.executors._base import Executor, RunEvent
from autoloop.executors._job import LoopJob
from autoloop.executors._pool import TaskPool
from autoloop.executors._run import execute_job
from autoloop.tasks import task_families

_STOP_ALL = "*"
# Seconds close() waits for running loops to reach their next iteration before killing workers.
_CLOSE_TIMEOUT_S = 30.0


def plugin_modules() -> tuple[str, ...]:
    """Modules that registered task families in code, so spawned workers can import them too."""
    modules = {family.create.__module__ for family in task_families().values()}
    return tuple(sorted(m for m in modules if m and m != "__main__" and not m.startswith("autoloop.")))


def _serve(index: int, jobs: Any, events: Any, control: Any, preload: Sequence[str], checkpoint_dir: str | None) -> None:
    """A worker's life: take jobs until ``None``, run each, report events tagged with ``index``.

    Runs of one task share the task the first of them built (see ``TaskPool``).
    """
    for module in preload:
        importlib.import_module(module)
    store = FileCheckpointStore(checkpoint_dir) if checkpoint_dir else None
    stopped: set[str] = set()

    def should_stop(run_id: str) -> bool:
        while True:
            try:
                stopped.add(control.get_nowait())
            except queue.Empty:
                return run_id in stopped or _STOP_ALL in stopped

    with TaskPool() as tasks:  # a task (and its sandbox server) serves every run of it in this worker
        while (payload := jobs.get()) is not None:
            job = LoopJob.parse(payload)
            events.put((index, job.run_id, None))  # started
            if should_stop(job.run_id):
                events.put((index, job.run_id, RunEvent(job.run_id, "stopped", error="stopped before it started")))
                continue
            try:
                execute_job(
                    job,
                    lambda event: events.put((index, event.run_id, event)),
                    lambda run_id=job.run_id: should_stop(run_id),
                    store=store,
                    tasks=tasks,
                )
            # No queue retries here: whatever stopped the run (endpoint down, missing data, a bug)
            # ends it with a failed event naming the error, and the controller fails the study with it.
            except Exception as exc:  # noqa: BLE001 - reported, not hidden: the event carries the error
                events.put((index, job.run_id, RunEvent(job.run_id, "failed", error=f"{type(exc).__name__}: {exc}")))


class LocalExecutor(Executor):
    """Runs loop runs in ``jobs`` worker processes, or in one background thread when ``jobs == 0``.

    Worker processes start with ``spawn`` (no inherited locks or sandboxes); they import
    ``preload`` first, which by default holds every module that registered a task family in
    code, so tasks registered by a script or a test resolve in the workers too. A worker
    that dies mid-run is replaced and its run reported as failed.

    Args:
        jobs: Worker processes; 0 runs jobs one at a time in a thread of this process
            (useful in tests that inspect task state in-process).
        preload: Modules each worker imports before its first job (default: ``plugin_modules()``).
        checkpoint_dir: Directory for run checkpoints (``None`` = no checkpoints).

    Example:
        >>> with LocalExecutor(jobs=2) as ex:  # doctest: +SKIP
        ...     ex.submit(job)
        ...     events = ex.events(timeout=1.0)
    """

    def __init__(self, jobs: int = 1, *, preload: Sequence[str] | None = None, checkpoint_dir: Path | str | None = None) -> None:
        if not isinstance(jobs, int) or not 0 <= jobs <= 256:
            raise ConfigError(f"jobs must be an integer in [0, 256], got {jobs!r}; pass --jobs N")
        self.jobs = jobs
        self._preload = tuple(plugin_modules() if preload is None else preload)
        self._checkpoint_dir = str(checkpoint_dir) if checkpoint_dir is not None else None
        self._running: dict[int, str | None] = {}
        self._closed = False
        if jobs == 0:
            self._ctx: Any = None
            self._jobs: Any = queue.Queue()
            self._events: Any = queue.Queue()
            self._controls: list[Any] = [queue.Queue()]
            self._workers: list[Any] = [threading.Thread(target=self._target(0), daemon=True)]
            self._workers[0].start()
            return
        self._ctx = multiprocessing.get_context("spawn")
        self._jobs = self._ctx.Queue()
        self._events = self._ctx.Queue()
        self._controls = [self._ctx.Queue() for _ in range(jobs)]
        self._workers = [self._start_process(i) for i in range(jobs)]

    def _target(self, index: int) -> Any:
        def target() -> None:
            _serve(index, self._jobs, self._events, self._controls[index], self._preload, self._checkpoint_dir)

        return target

    def _start_process(self, index: int) -> Any:
        args = (index, self._jobs, self._events, self._controls[index], self._preload, self._checkpoint_dir)
        process = self._ctx.Process(target=_serve, args=args, daemon=True, name=f"autoloop-worker-{index}")
        process.start()
        return process

    def submit(self, job: LoopJob) -> None:
        if self._closed:
            raise ConfigError("this executor is closed; create a new one")
        self._jobs.put(job.model_dump_json())

    def stop(self, run_id: str) -> None:
        for control in self._controls:
            control.put(run_id)

    def events(self, timeout: float) -> list[RunEvent]:
        out: list[RunEvent] = []
        try:
            item = self._events.get(timeout=max(timeout, 0.0))
            while True:
                self._take(item, out)
                item = self._events.get_nowait()
        except queue.Empty:
            pass
        out.extend(self._reap_dead_workers())
        return out

    def _take(self, item: tuple[int, str, RunEvent | None], out: list[RunEvent]) -> None:
        index, run_id, event = item
        if event is None:
            self._running[index] = run_id
            return
        if event.terminal:
            self._running[index] = None
        out.append(event)

    def _reap_dead_workers(self) -> list[RunEvent]:
        if self._ctx is None or self._closed:
            return []
        failed = []
        for index, process in enumerate(self._workers):
            if process.is_alive():
                continue
            run_id = self._running.pop(index, None)
            if run_id is not None:
                failed.append(RunEvent(run_id, "failed", error=f"worker process died (exit code {process.exitcode})"))
            self._workers[index] = self._start_process(index)
        return failed

    def _drain(self) -> None:
        try:
            while True:
                self._events.get_nowait()
        except queue.Empty:
            pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for control in self._controls:
            control.put(_STOP_ALL)
        for _ in self._workers:
            self._jobs.put(None)
        deadline = time.monotonic() + _CLOSE_TIMEOUT_S
        for worker in self._workers:
            while worker.is_alive() and time.monotonic() < deadline:
                worker.join(0.1)
                self._drain()  # a worker process exits only once its buffered events are read
            if self._ctx is not None and worker.is_alive():
                worker.terminate()
