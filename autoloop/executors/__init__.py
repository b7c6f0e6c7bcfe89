"""Executors: where loop runs execute (worker processes here, or RQ workers anywhere).

The layer between the optimizers and the controller: the job payload (``LoopJob``), the
typed outcome (``autoloop.outcome.RunOutcome``), the events a run streams (``RunEvent``), running one job
(``execute_job``), and the ``Executor`` implementations.
"""

from autoloop.executors._base import EventKind, Executor, RunEvent
from autoloop.executors._job import LoopJob
from autoloop.executors._local import LocalExecutor, plugin_modules
from autoloop.executors._rq import ExecutorDetached, RQExecutor, StudyCancelled, cancel_queued, rq_job_id
from autoloop.executors._rq_job import JOB_FUNCTION, QueueEntry, RunAbandoned, abandon_current_run, execute
from autoloop.executors._rq_queues import owner_queue, queue_names, register_queue
from autoloop.executors._rq_slots import RunSlots
from autoloop.executors._run import execute_job, run_job
from autoloop.executors._template import RunTemplate, public_options, resolve_template

__all__ = [
    "JOB_FUNCTION",
    "EventKind",
    "Executor",
    "ExecutorDetached",
    "LocalExecutor",
    "LoopJob",
    "QueueEntry",
    "RQExecutor",
    "RunAbandoned",
    "RunEvent",
    "RunSlots",
    "RunTemplate",
    "StudyCancelled",
    "abandon_current_run",
    "cancel_queued",
    "execute",
    "execute_job",
    "owner_queue",
    "plugin_modules",
    "public_options",
    "queue_names",
    "register_queue",
    "resolve_template",
    "rq_job_id",
    "run_job",
]
