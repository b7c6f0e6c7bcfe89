"""LocalExecutor beyond the executor contract (``tests/contracts/test_executors.py``): test curves, job counts."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from autoloop.executors import LocalExecutor, LoopJob, RunEvent
from tests.controller.sandboxed_task import FAIL_ONCE_FILE, server_pids
from tests.toy_task import local_job


def _job(
    run_id: str, iterations: int = 3, *, score_test: bool = False, task: str = "toy:linear", data_dir: Path | None = None
) -> LoopJob:
    job = local_job(run_id, task, score_test=score_test, batch_size=2, iterations=iterations, seed=1)
    return job.model_copy(update={"data_dir": str(data_dir) if data_dir else None})


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


@pytest.mark.integration
def test_a_worker_reuses_a_task_and_its_sandbox_server_until_the_payload_changes_or_it_fails(tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()

    def run(run_id: str, data_dir: Path) -> RunEvent:
        ex.submit(_job(run_id, iterations=2, task="sandboxed:linear", data_dir=data_dir))
        (event,) = [e for e in _collect(ex, 1) if e.terminal]
        return event

    with LocalExecutor(jobs=1) as ex:
        assert run("a1", first).kind == "done" and run("a2", first).kind == "done"
        (reused,) = set(server_pids(first))  # two runs, one task, one sandbox server
        assert psutil.pid_exists(reused)
        (first / FAIL_ONCE_FILE).touch()
        failed = run("a3", first)
        assert failed.kind == "failed" and "SandboxError" in failed.error
        assert not psutil.pid_exists(reused)  # the failed task was closed, not kept
        assert run("a4", first).kind == "done"
        rebuilt = server_pids(first)[-1]
        assert rebuilt != reused
        assert run("b1", second).kind == "done"  # another payload: another task, the old one closed
        assert set(server_pids(second)) - {rebuilt} and not psutil.pid_exists(rebuilt)


def test_jobs_must_be_a_sane_count():
    from autoloop.errors import ConfigError

    with pytest.raises(ConfigError):
        LocalExecutor(jobs=-1)
