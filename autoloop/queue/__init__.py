"""The Redis job queue: one RQ job per loop run, and the executor that feeds it."""

from autoloop.queue._executor import ExecutorDetached, RQExecutor, StudyCancelled, rq_job_id
from autoloop.queue._jobs import JOB_FUNCTION, QueuedRun, execute

__all__ = ["JOB_FUNCTION", "ExecutorDetached", "QueuedRun", "RQExecutor", "StudyCancelled", "execute", "rq_job_id"]
