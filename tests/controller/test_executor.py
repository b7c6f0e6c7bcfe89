"""LocalExecutor: jobs run in worker processes (or a thread), stream progress, stop on request."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from autoloop.executors import LocalExecutor, RunEvent
from autoloop.executors import LoopJob
from tests.controller.sandboxed_task import FAIL_ONCE_FILE, server_pids


def _job(
    run_id: str, iterations: int = 3, *, score_test: bool = False, task: str = "toy:linear", data_dir: Path | None = None
) -> LoopJob:
    settings = {"starting_artifact": "start", "batch_size": 2, "iterations": iterations, "seed": 1}
    return LoopJob(
        run_id=run_id, task=task, data_dir=str(data_dir) if data_dir else None, settings=settings, optimizer="local",
        score_test=score_test,
    )


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


def test_stop_ends_a_run_early_and_a_queued_run_never_starts():
    with LocalExecutor(jobs=0) as ex:
        ex.submit(_job("long", iterations=500))
        ex.submit(_job("queued", iterations=500))
        ex.stop("queued")
        first = []
        while not first:
            first = [e for e in ex.events(timeout=1.0) if e.run_id == "long"]
        ex.stop("long")
        events = first + _collect(ex, 2)
    done = [e for e in events if e.run_id == "long" and e.kind == "done"]
    assert done and done[0].result.iterations < 500 and done[0].result.stopped == "stopped"
    queued = [e for e in events if e.run_id == "queued"]
    assert [e.kind for e in queued] == ["stopped"] and "before it started" in queued[0].error


@pytest.mark.integration
def test_two_worker_processes_run_registered_plugin_tasks():
    with LocalExecutor(jobs=2) as ex:
        for i in range(3):
            ex.submit(_job(f"r{i}"))
        events = _collect(ex, 3)
    done = {e.run_id: e.result for e in events if e.kind == "done"}
    assert set(done) == {"r0", "r1", "r2"}, [e.error for e in events if e.kind == "failed"]
    assert all(r.test is None and r.iterations == 3 for r in done.values())
    assert sum(e.kind == "progress" for e in events) == 9


@pytest.mark.integration
def test_a_dead_worker_fails_its_run_and_is_replaced():
    with LocalExecutor(jobs=1) as ex:
        ex.submit(_job("dies", task="counting:crash"))
        ex.submit(_job("after"))
        events = _collect(ex, 2)
    terminal = {e.run_id: e for e in events if e.terminal}
    assert terminal["dies"].kind == "failed" and "worker process died (exit code 3)" in terminal["dies"].error
    assert terminal["after"].kind == "done"


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
