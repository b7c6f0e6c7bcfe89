"""``InProcessWorker``: an RQ worker that runs jobs in its own process, so built tasks outlive a job,
and serves every owner's queue round-robin; ``AutoloopJob``: a job that runs autoloop's own job
function or nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import redis
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.worker import BaseWorker, SimpleWorker, WorkerStatus

from autoloop.errors import AutoloopError
from autoloop.executors import JOB_FUNCTION, queue_names
from autoloop.redisdb import keys

logger = logging.getLogger(__name__)


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
        beats = threading.Thread(target=self._beat, args=(job, execution, finished), name="rq-heartbeat", daemon=True)
        beats.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            finished.set()
            beats.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Job, execution: Execution, finished: threading.Event) -> None:
        while not finished.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            # A missed beat is retried at the next interval; giving up would get the running
            # job re-queued as abandoned, and run twice.
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                logger.warning("heartbeat of job %s failed (%s); retrying in %ss", job.id, exc, self.job_monitoring_interval)
