"""Running one ``LoopJob``: build its task and optimizer, run the loop, stream its events.

Every executor (local processes, RQ workers) calls ``execute_job`` so runs behave the same
wherever they run. Candidate failures are part of a run's result; anything else that goes
wrong (endpoint down, Redis, sandbox server, missing data) propagates to the executor,
which retries the job or fails it visibly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from autoloop.artifact import Artifact
from autoloop.checkpoints import Checkpoint, CheckpointStore
from autoloop.executors._base import RunEvent
from autoloop.executors._job import LoopJob
from autoloop.executors._pool import TaskPool
from autoloop.executors._template import public_options
from autoloop.loop import LoopRun, RunProgress, RunProgressCallback
from autoloop.optimizers import create_optimizer
from autoloop.outcome import RunOutcome
from autoloop.tasks import Task
from autoloop.trace import TASK_TOKENS

# Points of the test curve scored after a final-stage run: the best artifact at most this many times.
TEST_CURVE_POINTS = 4


class BestHistory(CheckpointStore):
    """A store that remembers when the best-by-validation artifact changed, then delegates.

    Args:
        inner: Where checkpoints really go (``None`` = nowhere).
    """

    def __init__(self, inner: CheckpointStore | None) -> None:
        self.inner = inner
        # (iteration, best validation score, best artifact) at every change of the best.
        self.changes: list[tuple[int, float, dict]] = []

    def save(self, run_id: str, checkpoint: Checkpoint) -> None:
        if not self.changes or self.changes[-1][2] != checkpoint.best:
            self.changes.append((checkpoint.iteration, checkpoint.best_val, checkpoint.best))
        if self.inner is not None:
            self.inner.save(run_id, checkpoint)

    def load(self, run_id: str) -> Checkpoint | None:
        return self.inner.load(run_id) if self.inner is not None else None


def score_test_curve(task: Task, history: BestHistory, final_test: float) -> tuple[tuple[tuple[int, float, float], ...], int]:
    """``(iteration, validation, test)`` of the best artifact along a finished run, and the LLM
    tokens the task spent scoring them (an executor's, ``trace.TASK_TOKENS``).

    The best artifact only changes when validation rises, so a falling test column while
    validation rises is the meta-overfitting signal. At most ``TEST_CURVE_POINTS`` points,
    the last being the run's own final test score.
    """
    changes = history.changes
    if len(changes) > TEST_CURVE_POINTS:
        step = (len(changes) - 1) / (TEST_CURVE_POINTS - 1)
        changes = [changes[round(i * step)] for i in range(TEST_CURVE_POINTS)]
    curve, tokens = [], 0
    for it, val, best in changes[:-1]:
        traces = task.rollouts(Artifact.from_dict(best), task.instances("test"), None)
        curve.append((it, val, sum(t.score for t in traces) / len(traces)))
        tokens += int(sum(t.metrics.get(TASK_TOKENS, 0.0) for t in traces))
    last_it, last_val, _ = changes[-1]
    return (*curve, (last_it, last_val, final_test)), tokens


def run_job(
    job: LoopJob,
    task: Task,
    *,
    store: CheckpointStore | None = None,
    callback: RunProgressCallback | None = None,
) -> RunOutcome:
    """Run (or resume) the job's loop on ``task`` (built for ``job``) and return its outcome, with the
    test curve of a tested run and the job's public task options."""
    settings = job.loop_settings
    optimizer = create_optimizer(job.optimizer, llm=job.endpoint.to_config(), seed=settings.seed)
    history = BestHistory(store)
    loop = LoopRun(task, settings, optimizer, store=history, run_id=job.run_id, callback=callback, score_test=job.score_test)
    outcome = loop.run()
    test_curve, tokens = score_test_curve(task, history, outcome.test) if outcome.test is not None and history.changes else ((), 0)
    return replace(outcome, test_curve=test_curve, tokens=outcome.tokens + tokens, task_options=public_options(job.task_options))


def execute_job(
    job: LoopJob,
    emit: Callable[[RunEvent], None],
    should_stop: Callable[[], bool],
    *,
    store: CheckpointStore | None = None,
    tasks: TaskPool | None = None,
) -> None:
    """Run ``job``, emitting a progress event per iteration and a ``done`` event at the end.

    Infrastructure errors propagate (no terminal event): the caller decides between a
    retry and a ``failed`` event.

    Args:
        job: The loop run.
        emit: Receives every event (put it on a queue, publish it, ...).
        should_stop: Polled after each iteration; True stops the run.
        store: Checkpoint store (``None`` = no checkpoints).
        tasks: Where the job's task comes from and returns to (``None`` = a task built
            for this run alone, closed at its end).
    """

    def callback(progress: RunProgress) -> bool:
        emit(RunEvent(job.run_id, "progress", progress=progress))
        return should_stop()

    with (tasks if tasks is not None else TaskPool(size=0)).lease(job) as task:
        result = run_job(job, task, store=store, callback=callback)
    emit(RunEvent(job.run_id, "done", result=result))
