"""The RQ job function: one job = one loop run, resumable from its Redis checkpoint.

Workers import this module by name (``autoloop.executors._rq_job.execute``), so the function
must stay importable and its payload plain JSON-ready data.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from autoloop.checkpoints import RedisCheckpointStore
from autoloop.errors import UnknownNameError
from autoloop.executors._base import RunEvent
from autoloop.executors._events import EventPublisher
from autoloop.executors._job import LoopJob, parse_payload
from autoloop.executors._pool import TaskPool
from autoloop.executors._run import execute_job
from autoloop.llm import SECRET_SCHEME, register_secret_lookup
from autoloop.redisdb import StudySecrets, connect, keys
from autoloop.tasks import ENTRY_POINT_GROUP, PLUGINS_ENV, describe_task

logger = logging.getLogger(__name__)

JOB_FUNCTION = "autoloop.executors._rq_job.execute"
# Checkpoints and run bookkeeping outlive any run that may still be retried, then expire.
RUN_KEYS_TTL_S = 7 * 24 * 3600

# The tasks kept between the jobs of this process, while ``reusing_tasks`` is active; a
# forking worker's work horse has none and builds every task afresh.
_tasks: TaskPool | None = None
# Set while a run's own work is in progress in ``execute``: only then may it be abandoned.
_abandonable = threading.Event()


class RunAbandoned(BaseException):
    """Unwinds the run in progress in this process: its study was cancelled while it ran (for example
    while it waited on an LLM endpoint that never answers). Raised in the thread running the job by
    ``abandon_current_run`` (a worker's signal handler); a ``BaseException``, so no ``except Exception``
    on the way (a retry loop, a candidate-failure handler) keeps the run going."""


def abandon_current_run() -> None:
    """Abandon the run this thread is executing, if one is in progress (else do nothing).

    Raises:
        RunAbandoned: A run was in progress; ``execute`` records it as stopped. Its task is
            closed on the way out (its sandbox server stopped), so nothing half-done is reused.
    """
    if _abandonable.is_set():
        _abandonable.clear()
        raise RunAbandoned


class QueueEntry(BaseModel):
    """The payload of one RQ job.

    Args:
        study_id: Study the run belongs to (its events stream and run hash).
        job: The loop run itself.
        enqueued_at: ``time.time()`` when it was put on the queue (for latency numbers).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    study_id: str
    job: LoopJob
    enqueued_at: float

    @classmethod
    def parse(cls, data: dict[str, Any]) -> QueueEntry:
        """The entry in ``data``; a missing or unknown field is a ``ConfigError`` naming it."""
        return parse_payload(cls, data, "queue entry")


@contextlib.contextmanager
def reusing_tasks() -> Iterator[TaskPool]:
    """Let the jobs this process runs inside the block share built tasks; closes them at the end.

    Only useful in a worker that runs jobs in its own process (``rq.SimpleWorker``): a work
    horse forked per job would lose its tasks with the job.
    """
    global _tasks
    with TaskPool() as pool:
        _tasks = pool
        try:
            yield pool
        finally:
            _tasks = None


def _connection() -> Any:
    from rq import get_current_job

    current = get_current_job()
    return current.connection if current is not None else connect()


def _check_known_here(task: str) -> None:
    """Raise, saying how to fix it, when this worker lacks the plug-in of a task the service accepted.

    Raises:
        UnknownNameError: The worker's registry (read when it started) has no such task.
    """
    try:
        describe_task(task)
    except UnknownNameError as exc:
        raise UnknownNameError(
            f"this worker does not know task {task!r}: install the plug-in's package (entry-point group "
            f"{ENTRY_POINT_GROUP!r}) or list its module in {PLUGINS_ENV} where the workers run, then restart them "
            f"(`autoloop worker`); {exc}"
        ) from exc


def execute(payload: dict[str, Any]) -> str:
    """Run (or resume) one loop run and publish its events; returns the terminal kind.

    Checkpoints go to Redis after every iteration, so a retry of this job on another
    worker (after the first one died) resumes where the dead one stopped. The stop
    keys of the run and of its study are checked after every iteration. An
    infrastructure error propagates: RQ records it and retries the job while retries
    remain, after which the executor reports the run as failed with that error.
    """
    run = QueueEntry.parse(payload)
    _check_known_here(run.job.task)
    client = _connection()
    # The job names its API keys as ``secret:`` references; they live in this Redis.
    register_secret_lookup(SECRET_SCHEME, StudySecrets(client).get)
    run_id, study_id = run.job.run_id, run.study_id
    started = time.time()
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(keys.run_state(run_id), mapping={"started_at": started, "pid": os.getpid(), "enqueued_at": run.enqueued_at})
        pipe.hincrby(keys.run_state(run_id), "attempts", 1)
        pipe.expire(keys.run_state(run_id), RUN_KEYS_TTL_S)
        pipe.execute()
    publisher = EventPublisher(client, study_id)
    stop_keys = (keys.run_stop(run_id), keys.study_stop(study_id))

    def should_stop() -> bool:
        return any(client.mget(stop_keys))

    if should_stop():
        publisher.emit(RunEvent(run_id, "stopped", error="stopped before it started"))
        return "stopped"
    publisher.started(run_id)
    outcome: list[str] = []

    def emit(event: RunEvent) -> None:
        if publisher.emit(event) and event.terminal:
            outcome.append(event.kind)
        elif event.terminal:
            logger.info("run %s already recorded its outcome; this re-run does not count again", run_id)

    try:
        _abandonable.set()
        try:
            execute_job(run.job, emit, should_stop, store=RedisCheckpointStore(client, ttl_s=RUN_KEYS_TTL_S), tasks=_tasks)
        finally:
            _abandonable.clear()
    except RunAbandoned:
        publisher.emit(RunEvent(run_id, "stopped", error="its study was cancelled while it ran; the run was abandoned"))
        return "stopped"
    client.hset(keys.run_state(run_id), mapping={"finished_at": time.time()})
    return outcome[0] if outcome else "duplicate"
