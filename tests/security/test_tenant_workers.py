"""Row 10 of issue 24 (and issue 18, item 3): a tenant whose LLM endpoint hangs cannot hold the workers.

Two tenants share two workers. Tenant B's study calls an endpoint that accepts connections and
never answers, two runs in parallel. Each tenant may run the live workers minus one runs at once
(``AUTOLOOP_MAX_RUNS`` unset), so B holds one worker and its second run waits; tenant A's study,
submitted while B hangs, starts its first run within one request timeout and finishes. Cancelling
B then frees B's worker at once: its request in flight is abandoned, its queued run dropped, quietly.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from rq import Worker

import autoloop
from autoloop.executors import RunSlots
from autoloop.redisdb import keys
from autoloop.service import check_token
from tests.service.conftest import Cluster, running_cluster, wait_for
from tests.service.hanging_endpoint import HangingEndpoint

pytestmark = pytest.mark.integration

TIMEOUT_S = 5  # the operator's LLM timeout ceiling: B's requests give up after this long
SMALL = {"space": "batch_size=1", "iterations": 2, "seeds": 1, "top_k": 1, "final_seeds": 1, "strategy": "tpe", "pruner": "none"}


def _first_start(cluster: Cluster, study_id: str) -> float | None:
    """``time.time()`` when the study's first run started, once one has."""
    redis = cluster.redis()
    starts = [redis.hget(keys.run_state(run.decode()), "started_at") for run in redis.hkeys(keys.study_live(study_id))]
    return min((float(s) for s in starts if s is not None), default=None)


def _submit_hanging(cluster: Cluster, token: str, base_url: str) -> str:
    body = {
        "task": "slowtoy:linear", **SMALL, "space": "batch_size=1,2", "budget": {"iterations": 40}, "parallel": 2, "optimizer": "llm",
        "llm": {"base_url": base_url, "max_retries": 0},
    }
    reply = httpx.post(f"{cluster.url}/v1/studies", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def test_row10_a_hanging_tenant_delays_another_tenants_first_run_by_less_than_one_request_timeout() -> None:
    env = {"AUTOLOOP_MAX_RUNS": "0", "AUTOLOOP_MAX_LLM_TIMEOUT_S": str(TIMEOUT_S), "AUTOLOOP_LLM_ALLOW": "127.0.0.1"}
    with HangingEndpoint() as hanging, running_cluster(env=env) as cluster:
        redis = cluster.redis()
        cluster.start_worker(processes=2)
        wait_for(lambda: len(Worker.all(connection=redis)) == 2, 60, "both workers to register")
        quiet, noisy = cluster.token("quiet"), cluster.token("noisy")
        noisy_owner = check_token(redis, noisy).owner
        hung = _submit_hanging(cluster, noisy, hanging.base_url)
        wait_for(lambda: hanging.accepted >= 1, 60, "the noisy tenant's first request to hang")
        assert len(RunSlots(redis).holders(noisy_owner)) == 1  # its second run waits: one worker stays free

        submitted = time.time()
        with autoloop.Client(cluster.url, quiet) as client:
            study = client.submit("slowtoy:linear", budget_iterations=40, parallel=1, optimizer="local", **SMALL)
            first = wait_for(lambda: _first_start(cluster, study.id), 3 * TIMEOUT_S, "the quiet tenant's first run")
            assert first - submitted < TIMEOUT_S, f"first run started {first - submitted:.1f}s after submission"
            while (state := study.status()["state"]) in ("queued", "running"):
                assert len(RunSlots(redis).holders(noisy_owner)) <= 1  # the noisy tenant never holds the second worker
                time.sleep(0.2)
        assert state == "finished"
        wait_for(lambda: redis.llen(f"rq:queue:{keys.run_queue(noisy_owner)}") == 1, 30, "the noisy tenant's second run, queued")

        cancelled = time.monotonic()
        assert httpx.delete(f"{cluster.url}/v1/studies/{hung}", headers={"Authorization": f"Bearer {noisy}"}).json()["state"] == "cancelled"
        wait_for(lambda: not RunSlots(redis).holders(noisy_owner), TIMEOUT_S, "the hanging run to be abandoned")
        assert time.monotonic() - cancelled < TIMEOUT_S  # abandoned, not waited out
        assert redis.llen(f"rq:queue:{keys.run_queue(noisy_owner)}") == 0  # its queued run was dropped
        outcomes = {json.loads(v)["error"] for v in redis.hvals(keys.study_runs(hung))}
        assert "stopped before it started" in outcomes and "its study was cancelled while it ran; the run was abandoned" in outcomes
        log = (cluster.home / "worker.log").read_text()
        assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
