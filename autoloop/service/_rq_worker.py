"""``InProcessWorker``: an RQ worker that runs jobs in its own process, so built tasks outlive a job,
serves every owner's queue round-robin within each owner's run slots, and abandons a run whose
study was cancelled at once; ``AutoloopJob``: a job that runs autoloop's own job function or nothing."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from types import FrameType

import redis
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.worker import BaseWorker, SimpleWorker, WorkerStatus

from autoloop.errors import AutoloopError
from autoloop.executors import JOB_FUNCTION, RunSlots, abandon_current_run, queue_names
from autoloop.executors._rq_slots import REFRESH_S
from autoloop.redisdb import keys

logger = logging.getLogger(__name__)

# How often a busy worker looks for its study's stop flag (a cancel frees the worker this fast).
STOP_POLL_S = 0.5
# While an owner is at its run cap, a worker waiting on the other queues looks again this often.
FULL_RECHECK_S = 1
ABANDON_SIGNAL = signal.SIGUSR1


class ForbiddenJobError(AutoloopError):
    """A queue entry named a function other than autoloop's job function; it was not run."""

    status = 403


class AutoloopJob(Job):
    """Runs ``autoloop.executors``' job function only, whatever a queue entry names.

    Anyone who can write to the queue (a leaked Redis password, a bug) could otherwise have a
    worker call any importable function, outside the sandbox, with the worker's environment.
    """

    def perform(self) -> object:
        if self.func_name != JOB_FUNCTION:
            raise ForbiddenJobError(f"queue entry names {self.func_name!r}; workers run only {JOB_FUNCTION}")
        return super().perform()


class _QueuesChanged(Exception):  # a signal between WakeableQueue and the worker, not an error
    """A worker's wake-up list had an entry: a new owner queue is registered."""


class WakeableQueue(Queue):
    """An RQ queue class whose pops end with ``_QueuesChanged`` when a wake-up list had the entry."""

    @classmethod
    def lpop(cls, queue_keys: Sequence[str], timeout: int | None, connection: redis.Redis | None = None) -> tuple[bytes, bytes] | None:
        result = super().lpop(queue_keys, timeout, connection=connection)
        if result is not None and _text(result[0]).startswith(cls.redis_queue_namespace_prefix + keys.WAKEUP_QUEUE_PREFIX):
            raise _QueuesChanged
        return result

    @classmethod
    def dequeue_any(
        cls, queues: Iterable[Queue], timeout: int | None, connection: redis.Redis, job_class: type[Job] | None = None,
        serializer: object = None, death_penalty_class: type | None = None,
    ) -> tuple[Job, Queue] | None:
        """The next job of an owner with a free run slot (its slot claimed); a job of an owner at
        its cap goes back to the head of its queue and the other queues are served."""
        remaining = list(queues)
        slots = RunSlots(connection)
        while True:
            result = super().dequeue_any(
                remaining, timeout, connection=connection, job_class=job_class, serializer=serializer,
                death_penalty_class=death_penalty_class,
            )
            if result is None:
                return None
            job, queue = result
            owner = keys.owner_of_queue(queue.name)
            if owner is None or slots.claim(owner, job.id):
                return result
            queue.push_job_id(job.id, at_front=True)
            remaining = [q for q in remaining if q.name != queue.name]
            # Back to the full list soon: the owner's slot may free up while this worker waits.
            timeout = min(timeout, FULL_RECHECK_S) if timeout is not None else None

    @classmethod
    def lmove(cls, connection: redis.Redis, queue_key: str, timeout: int | None) -> tuple[bytes, bytes] | None:
        # RQ takes this path when a worker listens on one queue only: here, a worker that knows
        # no owner queue yet and waits on its wake-up list, which must be popped, not moved.
        return cls.lpop([queue_key], timeout, connection=connection)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class InProcessWorker(SimpleWorker):
    """Runs each job in this process, not in a forked work horse, with a forking worker's heartbeats.

    A default ``rq.Worker`` forks a work horse per job, so whatever a job builds (a task and
    its sandbox server) dies with it. ``rq.SimpleWorker`` runs jobs in the worker process and
    still enforces job timeouts (SIGALRM death penalty), but it heartbeats once per job for
    the whole job timeout: the job of a killed worker would count as abandoned a day later.
    This worker heartbeats from a thread every ``job_monitoring_interval`` seconds while a
    job runs, as a forking worker's monitor loop does, so RQ re-queues the job of a dead
    worker about ``job_monitoring_interval + 60`` s after its last heartbeat.

    Start it on its wake-up list (``keys.worker_wakeup(name)``, a ``WakeableQueue``) alone: it
    adds every owner's run queue, which it looks up before each dequeue
    (``autoloop.executors.register_queue`` wakes it when one is added). Run it with
    ``work(dequeue_strategy=DequeueStrategy.ROUND_ROBIN)``: after taking a run from an owner,
    it tries every other owner first; an owner seen for the first time goes first.
    """

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> tuple[Job, Queue] | None:
        while True:
            self._add_new_queues()
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except _QueuesChanged:
                continue

    def _add_new_queues(self) -> None:
        known = {queue.name for queue in self.queues}
        new = [
            WakeableQueue(name, connection=self.connection, job_class=self.job_class, serializer=self.serializer)
            for name in queue_names(self.connection)
            if name not in known
        ]
        if new:
            self.queues = [*self.queues, *new]
            self._ordered_queues = [*new, *self._ordered_queues]

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return BaseWorker.get_heartbeat_ttl(self, job, working_time)

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        finished = threading.Event()
        owner = keys.owner_of_queue(queue.name)
        watch = threading.Thread(target=self._watch, args=(job, execution, owner, finished), name="rq-heartbeat", daemon=True)
        watch.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            finished.set()
            watch.join()
            if owner is not None:
                RunSlots(self.connection).release(owner, job.id)
        self.set_state(WorkerStatus.IDLE)

    def _watch(self, job: Job, execution: Execution, owner: str | None, finished: threading.Event) -> None:
        """While ``job`` runs: heartbeats, its run slot kept, and its study's stop flag watched."""
        study_stop = keys.study_stop(_study_of(job))
        slots = RunSlots(self.connection)
        last_beat = last_refresh = time.monotonic()
        abandoned = False
        while not finished.wait(STOP_POLL_S):
            try:
                if not abandoned and self.connection.exists(study_stop):
                    abandoned = True
                    logger.info("study of job %s was cancelled; abandoning the run in progress", job.id)
                    signal.pthread_kill(threading.main_thread().ident, ABANDON_SIGNAL)
                if owner is not None and time.monotonic() - last_refresh >= REFRESH_S:
                    slots.refresh(owner, job.id)
                    last_refresh = time.monotonic()
                if time.monotonic() - last_beat >= self.job_monitoring_interval:
                    self.maintain_heartbeats(job, execution)
                    last_beat = time.monotonic()
            # A missed beat is retried at the next round; giving up would get the running
            # job re-queued as abandoned, and run twice.
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                logger.warning("heartbeat of job %s failed (%s); retrying", job.id, exc)


def install_abandon_handler() -> None:
    """In the worker's main thread, where jobs run: ``ABANDON_SIGNAL`` abandons the run in progress."""
    signal.signal(ABANDON_SIGNAL, _abandon)


def _abandon(_signum: int, _frame: FrameType | None) -> None:
    abandon_current_run()


def _study_of(job: Job) -> str:
    """The study id a queue entry names (a malformed entry has none: its job function refuses it)."""
    payload = job.args[0] if job.args else None
    return str(payload.get("study_id", "")) if isinstance(payload, dict) else ""
