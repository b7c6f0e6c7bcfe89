"""Every executor passes ``ExecutorContract``: LocalExecutor (in-thread and worker processes),
RQExecutor (embedded Redis and a real ``autoloop worker``) and the tabular replay's TableExecutor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.contracts.plugin_tasks  # noqa: F401 - registers contract:crash and contract:slow (spawned workers preload it too)
from autoloop.executors import LocalExecutor, LoopJob, RQExecutor, owner_queue
from autoloop.redisdb import EmbeddedRedis
from autoloop.testing.executors import ExecutorCase, ExecutorContract
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._table import Run, TaskTable
from tests.toy_task import local_job

REPO = Path(__file__).resolve().parents[2]
PLUGINS = ("tests.toy_task", "tests.contracts.plugin_tasks")
SHORT, LONG = 2, 1000  # iterations of a job that completes / of one the suite stops
TABLE_ITERATIONS = 4
CLI = "from autoloop.cli import main; raise SystemExit(main())"


def loop_job(run_id: str, seed: int, *, task: str = "toy:linear", iterations: int = SHORT) -> LoopJob:
    """The one place these tests build a job payload."""
    return local_job(run_id, task, score_test=False, iterations=iterations, seed=seed)


def _long(run_id: str, seed: int) -> LoopJob:
    return loop_job(run_id, seed, task="contract:slow", iterations=LONG)


def _crash(run_id: str) -> LoopJob:
    return loop_job(run_id, 0, task="contract:crash")


@pytest.fixture(scope="module")
def rq_worker() -> Iterator[EmbeddedRedis]:
    """An embedded Redis and one ``autoloop worker`` process serving its queue."""
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        env = {**os.environ, "REDIS_URL": server.url, "AUTOLOOP_PLUGINS": ",".join(PLUGINS)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        args = ["worker", "--processes", "1", "--job-monitoring-interval", "1", "--maintenance-interval", "2"]
        with open(Path(home) / "worker.log", "wb") as log:
            worker = subprocess.Popen([sys.executable, "-c", CLI, *args], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield server
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def _local_case(jobs: int) -> Iterator[ExecutorCase]:
    with LocalExecutor(jobs=jobs) as ex:  # default preload: spawned workers find the plug-in tasks themselves
        yield ExecutorCase(
            ex, loop_job, _long, capacity=max(jobs, 1), crash_job=_crash if jobs else None,
            crash_error="worker process died (exit code 3)",
            settled=lambda: not any(worker.is_alive() for worker in ex._workers),
        )


def _rq_case(server: EmbeddedRedis) -> Iterator[ExecutorCase]:
    client = server.client()
    study = uuid.uuid4().hex[:8]  # run ids key checkpoints and stop flags: fresh ones per test
    queue = owner_queue(client, f"owner-{study}")
    with RQExecutor(client, study, owner=f"owner-{study}", retries=0) as ex:
        yield ExecutorCase(
            ex, lambda name, seed: loop_job(f"{study}-{name}", seed), lambda name, seed: _long(f"{study}-{name}", seed),
            crash_job=lambda name: _crash(f"{study}-{name}"),
            settled=lambda: queue.count == 0 and queue.started_job_registry.count == 0,
            # A worker runs its jobs in-process (it keeps its tasks): when it dies, RQ notices only
            # when its last heartbeat expires, about 60 s after (RQ's fixed grace period).
            timeout_s=150.0,
        )


def _table_case() -> Iterator[ExecutorCase]:
    curve = tuple(0.1 * i for i in range(TABLE_ITERATIONS + 1))
    runs = tuple(Run(seed, curve, 0.5, ((TABLE_ITERATIONS, curve[-1], 0.5),)) for seed in range(3))
    table = TaskTable("toy:linear", {("start", 1, 1): runs})

    def job(name: str, seed: int) -> LoopJob:
        return loop_job(name, seed, iterations=TABLE_ITERATIONS)

    with TableExecutor(table, lambda seed: seed, parallel=1) as ex:
        yield ExecutorCase(ex, job, job, capacity=1)


@pytest.fixture(
    params=[
        "local-thread",
        pytest.param("local-processes", marks=pytest.mark.integration),
        pytest.param("rq", marks=pytest.mark.integration),
        "table",
    ]
)
def executor_case(request: pytest.FixtureRequest) -> Iterator[ExecutorCase]:
    if request.param == "local-thread":
        yield from _local_case(0)
    elif request.param == "local-processes":
        yield from _local_case(1)
    elif request.param == "rq":
        yield from _rq_case(request.getfixturevalue("rq_worker"))
    else:
        yield from _table_case()


class TestExecutors(ExecutorContract):
    pass
