"""RQExecutor: the controller's Executor on an RQ queue, for workers on any machine."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
from typing import TYPE_CHECKING

from rq import Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from autoloop.errors import AutoloopError, ConfigError
from autoloop.executors._base import Executor, RunEvent
from autoloop.executors._events import EventPublisher, live_entry, recorded
from autoloop.executors._rq_job import JOB_FUNCTION, QueueEntry
from autoloop.executors._rq_queues import owner_queue, register_queue
from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis

    from autoloop.executors._job import LoopJob

logger = logging.getLogger(__name__)

# How often events() asks RQ about runs that went silent (retries exhausted, job lost).
REAP_INTERVAL_S = 2.0
DEFAULT_JOB_TIMEOUT_S = 24 * 3600
RETRIES = 3
# Stop flags outlive any run; the study's keys are deleted with the study.
STOP_TTL_S = 7 * 24 * 3600
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class ExecutorDetached(AutoloopError):
    """The executor was detached (service shutting down); its runs keep going on the workers."""

    status = 503


class StudyCancelled(AutoloopError):
    """The study was cancelled (``DELETE /v1/studies/{id}``)."""

    status = 409


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def rq_job_id(study_id: str, run_id: str) -> str:
    """The RQ job id of a run: readable, limited to RQ's id alphabet, unique per (study, run)."""
    digest = hashlib.sha1(f"{study_id}\0{run_id}".encode()).hexdigest()[:10]
    return f"{_UNSAFE.sub('_', run_id)[:80]}-{digest}"


def cancel_queued(client: redis.Redis, study_id: str, owner: str) -> int:
    """Drop the study's runs still waiting on its owner's queue, each recorded ``stopped`` (quietly: no
    worker ever starts them, nothing fails); returns how many. Runs already started are the workers'
    to abandon (they watch the study's stop flag)."""
    queue = owner_queue(client, owner)
    run_ids = sorted(_text(r) for r in client.hkeys(keys.study_live(study_id)))
    jobs = Job.fetch_many([rq_job_id(study_id, r) for r in run_ids], connection=client, serializer=JSONSerializer)
    publisher = EventPublisher(client, study_id)
    dropped = 0
    for run_id, job in zip(run_ids, jobs, strict=True):
        if job is not None and job.get_status(refresh=False) == JobStatus.QUEUED and job.origin == queue.name:
            job.cancel()
            publisher.emit(RunEvent(run_id, "stopped", error="stopped before it started"))
            dropped += 1
    return dropped


class RQExecutor(Executor):
    """Loop runs as jobs on the RQ queue of the study's owner; events come back through a Redis
    stream per study. Workers serve the owners' queues round-robin (see ``owner_queue``).

    Submitting is idempotent, which is what lets a restarted controller resubmit every run
    it has no outcome for: a run whose outcome is recorded is reported, a queued or running
    job is followed, anything else is enqueued. A run never executes twice for one study.
    A new executor reads the study's stream from its start, so progress of runs still
    going is seen again. Every job carries ``Retry(max=retries)``: RQ re-queues the job of
    a worker that died (the run resumes from its Redis checkpoint) and of a run that
    raised an infrastructure error; once retries are spent the run is reported ``failed``
    with the job's last error.

    Args:
        client: Redis client.
        study_id: The study whose runs this executor carries.
        owner: Owner (tenant) of the study; its runs go on this owner's queue.
        retries: RQ retries of a job abandoned by a dead worker.
        job_timeout_s: Wall-time limit of one loop run.
    """

    def __init__(
        self,
        client: redis.Redis,
        study_id: str,
        *,
        owner: str,
        retries: int = RETRIES,
        job_timeout_s: int = DEFAULT_JOB_TIMEOUT_S,
    ) -> None:
        if retries < 0 or job_timeout_s <= 0:
            raise ConfigError(f"retries must be >= 0 and job_timeout_s > 0, got {retries=}, {job_timeout_s=}")
        self.client = client
        self.study_id = study_id
        self.queue = owner_queue(client, owner)
        self.retries = retries
        self.job_timeout_s = job_timeout_s
        self._publisher = EventPublisher(client, study_id)
        self._pending: set[str] = set()
        self._recorded: list[RunEvent] = []
        self._last_reap = time.monotonic()
        self._detached = False
        self._closed = False
        self._last_id = "0-0"

    def submit(self, job: LoopJob) -> None:
        if self._closed:
            raise ConfigError("this executor is closed; create a new one")
        self._pending.add(job.run_id)
        self._enqueue(job)

    def _enqueue(self, job: LoopJob) -> None:
        run_id = job.run_id
        outcome = recorded(self.client, self.study_id, run_id)
        if outcome is not None:  # finished before a restart: report it, never run it twice
            self._recorded.append(outcome)
            return
        payload = QueueEntry(study_id=self.study_id, job=job, enqueued_at=time.time()).model_dump(mode="json")
        job_id = rq_job_id(self.study_id, run_id)
        existing = Job.fetch_many([job_id], connection=self.client, serializer=JSONSerializer)[0]
        status = existing.get_status(refresh=False) if existing is not None else None
        # Queued on another queue (the single queue of autoloop before per-owner queues): no worker
        # serves it any more, so it moves to the owner's queue below.
        if status in (JobStatus.STARTED, JobStatus.SCHEDULED) or (status == JobStatus.QUEUED and existing.origin == self.queue.name):
            return  # queued or running since before a restart: follow it
        if existing is not None:
            existing.delete()
        self.client.hset(keys.study_live(self.study_id), run_id, json.dumps(live_entry("queued")))
        register_queue(self.client, self.queue.name)
        with contextlib.suppress(DuplicateJobError):  # a concurrent submit of the same run won; follow it
            self.queue.enqueue_call(
                JOB_FUNCTION,
                args=(payload,),
                job_id=job_id,
                timeout=self.job_timeout_s,
                retry=Retry(max=self.retries) if self.retries else None,
                result_ttl=STOP_TTL_S,
                failure_ttl=STOP_TTL_S,
                description=f"loop run {run_id} of study {self.study_id}",
                unique=True,
            )

    def events(self, timeout: float) -> list[RunEvent]:
        if self._detached:
            raise ExecutorDetached("executor detached; the service is shutting down")
        if self.client.exists(keys.study_stop(self.study_id)):
            raise StudyCancelled(f"study {self.study_id} was cancelled")
        out = self._take(self._recorded)
        self._recorded = []
        block_ms = None if out else max(int(timeout * 1000), 1)  # None = do not block (0 would block forever)
        reply = self.client.xread({keys.study_events(self.study_id): self._last_id}, count=1000, block=block_ms)
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                self._last_id = _text(entry_id)
                out.extend(self._take([RunEvent.from_json(fields[b"event"])]))
        if time.monotonic() - self._last_reap > REAP_INTERVAL_S:
            self._last_reap = time.monotonic()
            self._reap()
        return out

    def _take(self, events: list[RunEvent]) -> list[RunEvent]:
        out = []
        for event in events:
            if event.run_id not in self._pending:
                continue  # another executor's run, or a duplicate terminal event
            if event.terminal:
                self._pending.discard(event.run_id)
            out.append(event)
        return out

    def _reap(self) -> None:
        """Re-queue jobs of dead workers now (RQ's own clean-up waits for an idle worker), and
        turn runs RQ gave up on (retries exhausted, job lost) into failed events."""
        if self.queue.acquire_maintenance_lock():  # the lock workers take for the same clean-up
            try:
                self.queue.started_job_registry.cleanup()
            finally:
                self.queue.release_maintenance_lock()
        pending = sorted(self._pending)
        jobs = Job.fetch_many([rq_job_id(self.study_id, r) for r in pending], connection=self.client, serializer=JSONSerializer)
        for run_id, job in zip(pending, jobs, strict=True):
            if job is None:
                error = "the queued job vanished from Redis (was Redis flushed?)"
            else:
                status = job.get_status(refresh=False)
                if status not in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                    continue
                lines = (job.exc_info or "").strip().splitlines()
                error = f"job {status.value} after its retries: {lines[-1] if lines else 'no traceback recorded'}"
            if recorded(self.client, self.study_id, run_id) is None:
                self._publisher.emit(RunEvent(run_id, "failed", error=error))

    def stop(self, run_id: str) -> None:
        self.client.set(keys.run_stop(run_id), 1, ex=STOP_TTL_S)
        job = Job.fetch_many([rq_job_id(self.study_id, run_id)], connection=self.client, serializer=JSONSerializer)[0]
        if job is not None and job.get_status(refresh=False) == JobStatus.QUEUED:
            job.cancel()  # dropped from the queue; its terminal event is recorded here
            self._publisher.emit(RunEvent(run_id, "stopped", error="stopped before it started"))

    def detach(self) -> None:
        """Leave every run running (the service is restarting); ``events`` raises from now on."""
        self._detached = True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._detached:
            for run_id in sorted(self._pending):
                self.stop(run_id)
