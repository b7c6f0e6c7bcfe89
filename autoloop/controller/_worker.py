"""What a worker does with one ``LoopJob``: run it, stream its events, add a test curve.

Every executor (local processes, RQ) calls ``execute_job`` so runs behave the same
wherever they run.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.controller._executor import RunEvent
from autoloop.jobs import LoopJob, run_job
from autoloop.loop import Progress
from autoloop.store import Checkpoint, Store
from autoloop.tasks import get_task

logger = logging.getLogger(__name__)

# Points of the test curve scored after a final-stage run: the best artifact at most this many times.
TEST_CURVE_POINTS = 4


class BestHistory(Store):
    """A store that remembers when the best-by-validation artifact changed, then delegates.

    Args:
        inner: Where checkpoints really go (``None`` = nowhere).
    """

    def __init__(self, inner: Store | None) -> None:
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


def score_test_curve(job: LoopJob, history: BestHistory, final_test: float) -> list[list[float]]:
    """``[iteration, validation, test]`` of the best artifact along a finished run.

    The best artifact only changes when validation rises, so a falling test column while
    validation rises is the meta-overfitting signal. At most ``TEST_CURVE_POINTS`` points,
    the last being the run's own final test score.
    """
    changes = history.changes
    if len(changes) > TEST_CURVE_POINTS:
        step = (len(changes) - 1) / (TEST_CURVE_POINTS - 1)
        changes = [changes[round(i * step)] for i in range(TEST_CURVE_POINTS)]
    task = get_task(job.task, data_dir=Path(job.data_dir) if job.data_dir else None)
    try:
        curve = [[it, val, task.evaluate(Artifact.from_dict(best), "test")] for it, val, best in changes[:-1]]
    finally:
        task.close()
    last_it, last_val, _ = changes[-1]
    return [*curve, [last_it, last_val, final_test]]


def execute_job(
    job: LoopJob,
    emit: Callable[[RunEvent], None],
    should_stop: Callable[[], bool],
    *,
    store: Store | None = None,
) -> None:
    """Run ``job``, emitting a progress event per iteration and exactly one terminal event.

    Args:
        job: The loop run.
        emit: Receives every event (put it on a queue, publish it, ...).
        should_stop: Polled after each iteration; True stops the run.
        store: Checkpoint store (``None`` = no checkpoints).
    """

    def callback(progress: Progress) -> bool:
        emit(RunEvent(job.run_id, "progress", progress=progress))
        return should_stop()

    history = BestHistory(store)
    try:
        result = run_job(job, store=history, callback=callback)
        data = result.to_dict()
        if result.test is not None:
            data["test_curve"] = score_test_curve(job, history, result.test)
    # A worker reports any failure of a run to the controller instead of dying with it:
    # the controller decides (a failed seed counts as a failed run, never a crash of the study).
    except Exception as exc:
        logger.debug("run %s failed", job.run_id, exc_info=True)
        emit(RunEvent(job.run_id, "failed", error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
        return
    emit(RunEvent(job.run_id, "done", result=data))
