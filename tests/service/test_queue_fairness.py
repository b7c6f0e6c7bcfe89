"""Tenants share the workers fairly: one owner's backlog does not starve another owner's run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from rq import Worker

from autoloop.executors import RQExecutor, RunEvent, queue_names
from autoloop.redisdb import EmbeddedRedis, keys
from tests.service.conftest import CLI, REPO, wait_for
from tests.toy_task import local_job

pytestmark = pytest.mark.integration
BACKLOG = 5


def _job(run_id: str):
    return local_job(run_id, "gatedtoy:linear", score_test=False, iterations=1)


def _until_terminal(executors: list[RQExecutor], count: int) -> list[RunEvent]:
    done: list[RunEvent] = []
    for _ in range(600):
        for executor in executors:
            done.extend(e for e in executor.events(0.1) if e.terminal)
        if len(done) >= count:
            return done
    pytest.fail(f"only {len(done)} of {count} runs ended: {done}")


def test_one_run_of_a_second_tenant_starts_before_the_first_tenants_backlog() -> None:
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        gate = Path(home) / "gate"
        env = {**os.environ, "REDIS_URL": server.url, "AUTOLOOP_PLUGINS": "tests.service.gated_task", "AUTOLOOP_TEST_GATE": str(gate)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        with open(Path(home) / "worker.log", "wb") as log:
            args = ["worker", "--processes", "1", "--job-monitoring-interval", "1", "--maintenance-interval", "2"]
            worker = subprocess.Popen([sys.executable, "-c", CLI, *args], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        client = server.client()
        try:
            # The worker starts before any tenant's queue exists: it must learn of both while it runs.
            wait_for(lambda: len(Worker.all(connection=client)) == 1, 60, "the worker to register")
            a = RQExecutor(client, "study-a", owner="tenant-a", retries=0)
            for i in range(BACKLOG):
                a.submit(_job(f"a-{i}"))
            wait_for(lambda: client.hexists(keys.run_state("a-0"), "started_at"), 60, "tenant A's first run to start")
            b = RQExecutor(client, "study-b", owner="tenant-b", retries=0)
            b.submit(_job("b-0"))
            gate.touch()  # a-0 was held running until B's run was queued behind A's backlog
            events = _until_terminal([a, b], BACKLOG + 1)
            assert {e.kind for e in events} == {"done"}, events
            started = {run: float(client.hget(keys.run_state(run), "started_at")) for run in [f"a-{i}" for i in range(BACKLOG)] + ["b-0"]}
            order = sorted(started, key=started.__getitem__)
            assert order[:2] == ["a-0", "b-0"], order  # B's one run is next, not after A's four queued ones
            assert queue_names(client) == [keys.run_queue("tenant-a"), keys.run_queue("tenant-b")]
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
