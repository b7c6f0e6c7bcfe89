"""The contract every ``Executor`` keeps, as a pytest class to run against an implementation.

Contract: every submitted job ends with exactly one terminal event (``done``, ``stopped`` or
``failed``), also when it was stopped or the process running it died; progress events of a
run arrive in iteration order; ``done`` carries a ``RunOutcome`` matching the job; a job
stopped while queued never starts; ``close()`` ends everything and submitting afterwards
raises ``ConfigError``.

Example:
    >>> class TestMyExecutor(ExecutorContract):  # doctest: +SKIP
    ...     @pytest.fixture
    ...     def executor_case(self):
    ...         with MyExecutor() as ex:
    ...             yield ExecutorCase(ex, job=short_job, long_job=long_job)
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from autoloop.errors import ConfigError
from autoloop.executors import Executor, LoopJob, RunEvent
from autoloop.testing._pytest import pytest

__all__ = ["ExecutorCase", "ExecutorContract", "collect", "executor_case"]

JobFactory = Callable[[str, int], LoopJob]


def _always() -> bool:
    return True


@dataclass(frozen=True)
class ExecutorCase:
    """One executor under test, and the jobs to give it.

    Args:
        executor: A fresh executor; the fixture closes it afterwards.
        job: ``job(name, seed)``: a job that completes in a few iterations. Its run id must
            be new to the executor's checkpoints (e.g. ``name`` prefixed with a fresh study
            id), or the run resumes instead of starting.
        long_job: ``long_job(name, seed)``: a job that runs on until it is stopped (many
            iterations; the suite stops it after its first progress event).
        capacity: Runs the executor executes at once (its workers).
        crash_job: ``crash_job(name)``: a job whose process dies mid-run, or ``None`` when
            the executor runs jobs in the test's own process (the check is then skipped).
        crash_error: Text the ``failed`` event of a crashed job's error must contain.
        settled: True once nothing runs any more (workers exited, queues empty); polled after ``close``.
        timeout_s: How long any one check waits for events.
    """

    executor: Executor
    job: JobFactory
    long_job: JobFactory
    capacity: int = 1
    crash_job: Callable[[str], LoopJob] | None = None
    crash_error: str = ""
    settled: Callable[[], bool] = _always
    timeout_s: float = 60.0


@pytest.fixture
def executor_case() -> ExecutorCase:
    """Override in the test module: an ``ExecutorCase`` with a fresh executor."""
    # The suite's only hook: a test module that subclasses the contract defines this fixture.
    pytest.fail(f"{__name__}: define a `executor_case` fixture in your test module returning an ExecutorCase with a fresh executor")


def collect(executor: Executor, until: Callable[[list[RunEvent]], bool], timeout_s: float) -> list[RunEvent]:
    """Events from ``executor`` until ``until(events)`` holds; fails the test after ``timeout_s``."""
    events: list[RunEvent] = []
    deadline = time.monotonic() + timeout_s
    while not until(events):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s; events so far: {[(e.run_id, e.kind, e.error) for e in events]}")
        events.extend(executor.events(timeout=0.2))
    return events


def _terminal_count(*run_ids: str) -> Callable[[list[RunEvent]], bool]:
    return lambda events: {e.run_id for e in events if e.terminal} >= set(run_ids)


def _by_run(events: list[RunEvent]) -> dict[str, list[RunEvent]]:
    runs: dict[str, list[RunEvent]] = defaultdict(list)
    for event in events:
        runs[event.run_id].append(event)
    return runs


def _check_run(job: LoopJob, events: list[RunEvent]) -> RunEvent:
    """One run's events: progress in iteration order, then exactly one terminal event; returns it."""
    kinds = [e.kind for e in events]
    assert sum(e.terminal for e in events) == 1 and events[-1].terminal, f"run {job.run_id}: {kinds}"
    iterations = [e.progress.iteration for e in events[:-1] if e.progress is not None]
    assert len(iterations) == len(events) - 1, f"run {job.run_id}: a progress event without its RunProgress"
    assert iterations == sorted(set(iterations)), f"run {job.run_id}: progress out of order {iterations}"
    last = events[-1]
    if last.kind == "done":
        result = last.result
        assert result is not None, f"run {job.run_id}: done without a RunOutcome"
        assert (result.run_id, result.seed) == (job.run_id, job.loop_settings.seed)
        assert result.iterations == (iterations[-1] if iterations else 0)
    else:
        assert last.result is None and last.error, f"run {job.run_id}: {last.kind} must say why"
    return last


class ExecutorContract:
    """What every executor guarantees; needs an ``executor_case`` fixture (an ``ExecutorCase``)."""

    def test_a_job_streams_progress_in_order_then_one_done(self, executor_case: ExecutorCase) -> None:
        ex, job = executor_case.executor, executor_case.job("a", 3)
        ex.submit(job)
        events = collect(ex, _terminal_count(job.run_id), executor_case.timeout_s)
        done = _check_run(job, events)
        assert done.kind == "done", done.error
        planned = job.loop_settings.iterations
        assert [e.progress.iteration for e in events[:-1]] == list(range(1, planned + 1))  # type: ignore[union-attr]
        assert done.result is not None and done.result.iterations == planned and done.result.stopped is None
        ex.stop(job.run_id)  # stopping a finished run (or an unknown one) is harmless and reports nothing
        ex.stop("never-submitted")
        assert ex.events(timeout=0.3) == []

    def test_every_job_ends_with_exactly_one_terminal_event(self, executor_case: ExecutorCase) -> None:
        ex = executor_case.executor
        jobs = [executor_case.job(f"r{i}", i) for i in range(executor_case.capacity + 2)]
        for job in jobs:
            ex.submit(job)
        events = collect(ex, _terminal_count(*(j.run_id for j in jobs)), executor_case.timeout_s)
        events += ex.events(timeout=0.3)  # a late duplicate would show here
        runs = _by_run(events)
        assert set(runs) == {j.run_id for j in jobs}
        for job in jobs:
            last = _check_run(job, runs[job.run_id])
            assert last.kind == "done", last.error
            assert last.result is not None and last.result.iterations == job.loop_settings.iterations

    def test_stop_ends_running_jobs_early_and_queued_jobs_never_start(self, executor_case: ExecutorCase) -> None:
        ex = executor_case.executor
        blockers = [executor_case.long_job(f"long{i}", i) for i in range(executor_case.capacity)]
        for job in blockers:
            ex.submit(job)
        # Every worker busy: the next job stays queued.
        events = collect(ex, lambda evs: {e.run_id for e in evs} >= {j.run_id for j in blockers}, executor_case.timeout_s)
        assert not any(e.terminal for e in events), [(e.run_id, e.kind, e.error) for e in events if e.terminal]
        queued = executor_case.long_job("queued", 99)
        ex.submit(queued)
        ex.stop(queued.run_id)
        for job in blockers:
            ex.stop(job.run_id)
        events += collect(ex, _terminal_count(queued.run_id, *(j.run_id for j in blockers)), executor_case.timeout_s)
        events += ex.events(timeout=0.3)
        runs = _by_run(events)
        assert [e.kind for e in runs[queued.run_id]] == ["stopped"] and runs[queued.run_id][0].error
        for job in blockers:
            last = _check_run(job, runs[job.run_id])
            assert last.kind in ("done", "stopped"), last.error
            if last.kind == "done":
                assert last.result is not None and last.result.stopped == "stopped"
                assert last.result.iterations < job.loop_settings.iterations

    def test_close_ends_everything_and_is_final(self, executor_case: ExecutorCase) -> None:
        ex = executor_case.executor
        jobs = [executor_case.long_job(f"long{i}", i) for i in range(executor_case.capacity + 1)]
        for job in jobs:
            ex.submit(job)
        collect(ex, lambda evs: any(e.kind == "progress" for e in evs), executor_case.timeout_s)
        began = time.monotonic()
        ex.close()
        deadline = began + executor_case.timeout_s
        while not executor_case.settled():
            assert time.monotonic() < deadline, "runs still going after close()"
            time.sleep(0.1)
        ex.close()  # idempotent
        with pytest.raises(ConfigError):
            ex.submit(executor_case.job("late", 0))

    # Over a minute with RQ (about 60 s): RQ notices a dead work horse only through its job monitoring.
    def test_a_job_whose_process_dies_fails_and_the_next_one_runs(self, executor_case: ExecutorCase) -> None:
        if executor_case.crash_job is None:
            pytest.skip("this executor runs jobs in the test's own process")
        ex = executor_case.executor
        dies, after = executor_case.crash_job("dies"), executor_case.job("after", 1)
        ex.submit(dies)
        ex.submit(after)
        events = collect(ex, _terminal_count(dies.run_id, after.run_id), executor_case.timeout_s)
        events += ex.events(timeout=0.3)
        runs = _by_run(events)
        failed = _check_run(dies, runs[dies.run_id])
        assert failed.kind == "failed" and executor_case.crash_error in (failed.error or ""), failed.error
        assert _check_run(after, runs[after.run_id]).kind == "done"
