"""TaskPool: a worker process keeps the tasks it built, so later runs of the same task reuse them.

Building a task is not free: an ML task reads its data and starts a sandbox server that
imports scikit-learn (about 2 s of CPU), and a worker runs many loop runs of one task. The
pool keeps the last tasks a worker built, keyed by ``task_key``; a run of the same key gets
the same task (and its sandbox server), cleared of per-run state by ``Task.reset``.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from autoloop.errors import ConfigError
from autoloop.executors._job import LoopJob
from autoloop.tasks import Task, get_task

# Tasks a worker keeps between runs; 0 builds a fresh task for every run (and closes it after).
POOL_SIZE_ENV = "AUTOLOOP_TASK_POOL"
DEFAULT_POOL_SIZE = 1

TaskKey = tuple[str, str | None, str]


def task_key(job: LoopJob) -> TaskKey:
    """What ``build_task`` builds ``job``'s task from: jobs with equal keys can share one task.

    Every job field ``build_task`` reads belongs in the key, and nothing else.
    """
    return (job.task, job.data_dir, json.dumps(job.task_options, sort_keys=True))


def build_task(job: LoopJob) -> Task:
    """The task ``job`` runs on, built from the payload alone."""
    return get_task(job.task, data_dir=Path(job.data_dir) if job.data_dir else None, options=job.task_options)


def _size_from_env() -> int:
    raw = os.environ.get(POOL_SIZE_ENV) or str(DEFAULT_POOL_SIZE)
    if not raw.isdigit():
        raise ConfigError(f"{POOL_SIZE_ENV} must be a count of tasks (0 = a fresh task per run), got {raw!r}")
    return int(raw)


class TaskPool:
    """The tasks one worker process keeps between loop runs, the least recently used dropped first.

    Args:
        size: Tasks kept between runs (``None`` = ``$AUTOLOOP_TASK_POOL`` or 1); 0 builds a
            fresh task for every run and closes it after, as without a pool.

    Attributes:
        builds: Tasks this pool has built so far.

    Example:
        >>> with TaskPool() as pool:  # doctest: +SKIP
        ...     with pool.lease(job) as task:
        ...         result = run_job(job, task)
    """

    def __init__(self, size: int | None = None) -> None:
        size = _size_from_env() if size is None else size
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size=}")
        self.size = size
        self.builds = 0
        self._idle: OrderedDict[TaskKey, Task] = OrderedDict()

    @contextmanager
    def lease(self, job: LoopJob) -> Iterator[Task]:
        """Lend ``job`` its task for one run: the kept one for its key, else a new one.

        An exception out of the run closes the task instead of keeping it: candidate
        failures are scores, so whatever escapes a run (a dead sandbox server, a job
        timeout, a shutdown) may have left the task broken.
        """
        key = task_key(job)
        task = self._idle.pop(key, None)
        if task is None:
            self._shrink(self.size - 1)  # close the others first: one sandbox server less at a time
            task = build_task(job)
            self.builds += 1
        try:
            task.reset()
            yield task
        except BaseException:
            task.close()
            raise
        self._idle[key] = task
        self._shrink(self.size)

    def _shrink(self, keep: int) -> None:
        while len(self._idle) > max(keep, 0):
            _key, task = self._idle.popitem(last=False)
            task.close()

    def close(self) -> None:
        """Close every kept task. Idempotent; the pool stays usable."""
        self._shrink(0)

    def __enter__(self) -> TaskPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
