"""LocalExecutor beyond the executor contract (``tests/contracts/test_executors.py``): test curves, job counts."""

from __future__ import annotations

import time

import pytest

from autoloop.executors import LocalExecutor, LoopJob, RunEvent
from tests.toy_task import local_job


def _job(run_id: str, iterations: int = 3, *, score_test: bool = False, task: str = "toy:linear") -> LoopJob:
    return local_job(run_id, task, score_test=score_test, batch_size=2, iterations=iterations, seed=1)


def _collect(executor: LocalExecutor, n_runs: int, timeout_s: float = 120.0) -> list[RunEvent]:
    events: list[RunEvent] = []
    deadline = time.monotonic() + timeout_s
    while sum(e.terminal for e in events) < n_runs:
        assert time.monotonic() < deadline, f"timed out; got {events}"
        events.extend(executor.events(timeout=0.5))
    return events


def test_in_process_executor_streams_progress_then_one_done_with_test_curve():
    with LocalExecutor(jobs=0) as ex:
        ex.submit(_job("a", iterations=4, score_test=True))
        events = _collect(ex, 1)
    kinds = [e.kind for e in events]
    assert kinds == ["progress"] * 4 + ["done"]
    assert [e.progress.iteration for e in events[:4]] == [1, 2, 3, 4]
    result = events[-1].result
    assert result.test is not None and result.iterations == 4
    assert result.test_curve[-1][2] == result.test


def test_jobs_must_be_a_sane_count():
    from autoloop.errors import ConfigError

    with pytest.raises(ConfigError):
        LocalExecutor(jobs=-1)
