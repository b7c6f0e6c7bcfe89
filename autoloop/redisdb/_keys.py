"""Every Redis key autoloop writes, built in one place from one prefix.

The key layout (``autoloop:`` prefix):

- ``token:<sha256>`` hash: owner id and name of an API token.
- ``study:<id>`` hash: study record (owner, state, request, progress counters).
- ``studies:<owner>`` set / ``studies:active`` set: study ids by owner / still running.
- ``study:<id>:runs`` hash: run id -> JSON result, written once per run (HSETNX).
- ``study:<id>:live`` hash: run id -> JSON summary (state, iteration, best, tokens).
- ``study:<id>:events`` stream: progress, done and failed events of its runs.
- ``study:<id>:stop`` string: set when the study was cancelled; workers abandon its running runs within a second.
- ``study:<id>:secrets`` hash: name -> API key its jobs reference as ``secret:<id>/<name>``.
- ``run:<id>:checkpoint`` string: the latest ``Checkpoint`` of a loop run (JSON).
- ``run:<id>:stop`` string: set to stop one run (pruned or cancelled).
- ``run:<id>:state`` hash: worker pid, queued/started timestamps, last progress.
- ``run-queues`` set: names of the owners' RQ queues (``autoloop-runs:<owner>``) workers serve.
- ``owner:<owner>:running`` sorted set: RQ job ids holding one of the owner's run slots, scored by expiry.
- ``limits`` hash: what the service tells the workers (``max_runs``: runs of one owner at once).
- ``optuna`` journal: the Optuna studies (``JournalRedisBackend`` prefix); a study's trials carry
  their settings, runs and run outcomes as user attributes (see ``autoloop.controller``).
"""

from __future__ import annotations

PREFIX = "autoloop"
# RQ queue names (RQ keys them ``rq:queue:<name>``): one queue of loop runs per owner, and one
# wake-up list per worker, which ends its blocking wait when a new owner's queue appears.
RUN_QUEUE_PREFIX = "autoloop-runs:"
WAKEUP_QUEUE_PREFIX = "autoloop-wakeup:"
OPTUNA_PREFIX = f"{PREFIX}:optuna"


def run_queue(owner: str) -> str:
    """Name of the RQ queue of an owner's loop runs."""
    return f"{RUN_QUEUE_PREFIX}{owner}"


def run_queues() -> str:
    """Set of the names of every owner's run queue."""
    return f"{PREFIX}:run-queues"


def worker_wakeup(worker_name: str) -> str:
    """Name of the RQ queue whose entries wake one worker to look for new run queues."""
    return f"{WAKEUP_QUEUE_PREFIX}{worker_name}"


def owner_of_queue(queue_name: str) -> str | None:
    """The owner whose run queue ``queue_name`` is, or ``None`` for any other queue."""
    return queue_name.removeprefix(RUN_QUEUE_PREFIX) if queue_name.startswith(RUN_QUEUE_PREFIX) else None


def running_runs(owner: str) -> str:
    """Sorted set of the RQ job ids holding one of ``owner``'s run slots (score: expiry time)."""
    return f"{PREFIX}:owner:{owner}:running"


def tenant_limits() -> str:
    """Hash of the limits the service publishes for the workers."""
    return f"{PREFIX}:limits"


def token(digest: str) -> str:
    """Hash of one API token, keyed by the token's sha256 hex digest."""
    return f"{PREFIX}:token:{digest}"


def study(study_id: str) -> str:
    """The study record hash."""
    return f"{PREFIX}:study:{study_id}"


def studies_of(owner: str) -> str:
    """Set of the study ids an owner created."""
    return f"{PREFIX}:studies:{owner}"


def active_studies() -> str:
    """Set of study ids whose controller has not finished."""
    return f"{PREFIX}:studies:active"


def study_runs(study_id: str) -> str:
    """Hash run id -> result JSON, one field per finished run."""
    return f"{PREFIX}:study:{study_id}:runs"


def study_live(study_id: str) -> str:
    """Hash run id -> JSON summary of the run's state and last progress."""
    return f"{PREFIX}:study:{study_id}:live"


def study_events(study_id: str) -> str:
    """Stream of run events of a study."""
    return f"{PREFIX}:study:{study_id}:events"


def study_stop(study_id: str) -> str:
    """Set when a study is cancelled."""
    return f"{PREFIX}:study:{study_id}:stop"


def study_secrets(study_id: str) -> str:
    """Hash name -> API key of a study (jobs carry only references to them)."""
    return f"{PREFIX}:study:{study_id}:secrets"


def checkpoint(run_id: str) -> str:
    """Latest checkpoint of a loop run."""
    return f"{PREFIX}:run:{run_id}:checkpoint"


def run_stop(run_id: str) -> str:
    """Set to stop one loop run at its next iteration."""
    return f"{PREFIX}:run:{run_id}:stop"


def run_state(run_id: str) -> str:
    """Bookkeeping of one loop run: timestamps, worker pid, attempts."""
    return f"{PREFIX}:run:{run_id}:state"
