"""``autoloop worker``: N RQ worker processes, kept alive by a small supervisor."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
import uuid
from dataclasses import dataclass
from types import FrameType

from autoloop.errors import ConfigError
from autoloop.redisdb import connect, keys
from autoloop.sandbox import containment

logger = logging.getLogger(__name__)

# A worker that dies sooner than this after starting is restarted with a growing delay.
_MIN_HEALTHY_S = 5.0
_MAX_RESTART_DELAY_S = 30.0
# On SIGINT/SIGTERM: wait this long for running loop runs to finish, then stop them (cold).
WARM_SHUTDOWN_S = 10.0
COLD_SHUTDOWN_S = 10.0


@dataclass(frozen=True)
class WorkerOptions:
    """How worker processes connect and how fast they notice trouble.

    Args:
        redis_url: Redis URL every worker connects to.
        processes: Worker processes (each runs one loop run at a time); each serves every
            owner's queue, round-robin.
        job_monitoring_interval: Seconds between heartbeats of a busy worker; a job of a
            dead worker is re-queued about ``job_monitoring_interval + 60`` s after its last heartbeat.
        maintenance_interval: Seconds between registry clean-ups (abandoned-job detection) of an idle worker.
        burst: Exit when the queue is empty (benchmarks, tests).
    """

    redis_url: str
    processes: int = 1
    job_monitoring_interval: int = 10
    maintenance_interval: int = 60
    burst: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.processes <= 256:
            raise ConfigError(f"--processes must be in [1, 256], got {self.processes}")
        if self.job_monitoring_interval < 1 or self.maintenance_interval < 1:
            raise ConfigError("--job-monitoring-interval and --maintenance-interval must be >= 1 second")


def work(options: WorkerOptions) -> None:
    """One worker process: take loop runs off the owners' queues, in turn, until told to stop.

    Jobs run in this process (no work horse per job), so a task and its sandbox server
    serve every run of that task here, until the worker exits.
    """
    from rq.serializers import JSONSerializer
    from rq.worker import DequeueStrategy

    from autoloop.executors._rq_job import reusing_tasks
    from autoloop.service._rq_worker import AutoloopJob, InProcessWorker, WakeableQueue, install_abandon_handler

    install_abandon_handler()
    client = connect(options.redis_url)
    name = uuid.uuid4().hex
    worker = InProcessWorker(
        [WakeableQueue(keys.worker_wakeup(name), connection=client, serializer=JSONSerializer, job_class=AutoloopJob)],
        name=name,
        connection=client,
        queue_class=WakeableQueue,
        serializer=JSONSerializer,  # queue entries are JSON: reading one never runs code (pickle would)
        job_class=AutoloopJob,
        job_monitoring_interval=options.job_monitoring_interval,
        maintenance_interval=options.maintenance_interval,
        # The dequeue wait is worker_ttl - 15 s: keep it short so idle workers run maintenance on time.
        worker_ttl=options.maintenance_interval + 15,
    )
    with reusing_tasks():
        worker.work(burst=options.burst, logging_level="WARNING", dequeue_strategy=DequeueStrategy.ROUND_ROBIN)


def run_workers(options: WorkerOptions) -> int:
    """Start ``options.processes`` workers and keep them alive until SIGINT/SIGTERM; returns 0."""
    from autoloop.executors import execute  # noqa: F401 - imported once here, inherited by every forked worker
    from autoloop.tasks import task_families

    task_families()  # task modules too, instead of once in each worker process
    capped, how = containment()
    (logger.info if capped else logger.warning)(how)
    ctx = multiprocessing.get_context("fork")
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: list[multiprocessing.process.BaseProcess | None] = [None] * options.processes
    started = [0.0] * options.processes
    restart_at = [0.0] * options.processes
    delay = [0.0] * options.processes
    finished = [False] * options.processes
    announced = False
    try:
        while not stopping and not all(finished):
            for i, proc in enumerate(procs):
                if finished[i] or (proc is not None and proc.is_alive()):
                    continue
                if proc is not None:  # just exited
                    procs[i] = None
                    if options.burst and proc.exitcode == 0:
                        finished[i] = True
                        continue
                    quick = time.monotonic() - started[i] < _MIN_HEALTHY_S
                    delay[i] = min(max(delay[i] * 2, 1.0), _MAX_RESTART_DELAY_S) if quick else 0.0
                    restart_at[i] = time.monotonic() + delay[i]
                    logger.warning("worker %d exited with %s; restarting in %.0fs", i, proc.exitcode, delay[i])
                if time.monotonic() >= restart_at[i]:
                    procs[i] = ctx.Process(target=work, args=(options,), name=f"autoloop-worker-{i}")
                    procs[i].start()
                    started[i] = time.monotonic()
            if not announced and all(procs):
                announced = True
                where = "the embedded Redis" if options.redis_url.startswith("unix://") else "Redis at REDIS_URL"
                logger.info("autoloop worker ready: %d processes taking runs from %s", options.processes, where)
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _shut_down([p for p in procs if p is not None])
    return 0


def _shut_down(procs: list[multiprocessing.process.BaseProcess]) -> None:
    """Warm shutdown (the current run finishes), then cold (RQ interrupts the run; it is
    re-queued and resumes from its last checkpoint), then SIGKILL as a last resort."""
    for grace_s in (WARM_SHUTDOWN_S, COLD_SHUTDOWN_S):
        alive = [p for p in procs if p.is_alive()]
        for proc in alive:
            # RQ: the first SIGTERM asks for a warm shutdown, a second (after > 1 s) for a cold one.
            proc.terminate()
        deadline = time.monotonic() + grace_s
        for proc in alive:
            proc.join(max(deadline - time.monotonic(), 0.1))
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join()
