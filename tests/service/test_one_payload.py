"""One run, one payload: a study's runs use what the study was created with, whatever the worker's environment.

Real Redis, ``autoloop serve`` and two ``autoloop worker`` processes whose environments differ:
one has a dead LLM endpoint and key and one Atari protocol, the other no endpoint and another
protocol. The service itself has a third protocol. Every run's ``RunOutcome`` must name the
study's optimizer and protocol, and both workers must have run some of them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq.job import Job

import autoloop
from autoloop.executors import owner_queue, rq_job_id
from autoloop.redisdb import StudySecrets, keys
from autoloop.service import StudyRecords
from tests.service.conftest import Cluster, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]

ENDPOINT_VARS = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "AUTOLOOP_LLM_BASE_URL", "AUTOLOOP_LLM_API_KEY", "AUTOLOOP_LLM_MODEL")
DEAD_URL = "http://127.0.0.1:9/v1"  # port 9 (discard): nothing answers
SERVICE_PROTOCOL = "1x40"
OPERATOR_KEY = "sk-operator-key-never-in-a-job"
TENANT_KEY = "sk-tenant-key-never-in-a-job"


@contextlib.contextmanager
def _cluster(**service_env: str) -> Iterator[Cluster]:
    home = Path(tempfile.mkdtemp(prefix="al-"))
    cluster = Cluster(home, rollout_s=0.05)
    for name in ENDPOINT_VARS:
        cluster.env.pop(name, None)
    cluster.env.update(service_env)
    try:
        cluster.start_service()
        yield cluster
    finally:
        cluster.close()
        shutil.rmtree(home, ignore_errors=True)


def _parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _results(cluster: Cluster, study_id: str) -> list[dict]:
    """Each run's ``RunOutcome`` (as its ``done`` event recorded it in the study's run hash)."""
    events = [json.loads(v) for v in cluster.redis().hvals(keys.study_runs(study_id))]
    assert all(e["kind"] == "done" for e in events), events
    return [e["result"] for e in events]


def _worker_of(cluster: Cluster, study_id: str, run_id: str) -> int:
    """The pid of the ``autoloop worker`` supervisor whose RQ worker ran ``run_id``."""
    redis = cluster.redis()
    name = Job.fetch(rq_job_id(study_id, run_id), connection=redis).worker_name
    return _parent_pid(int(redis.hget(f"rq:worker:{name}", "pid")))


def test_every_run_uses_the_optimizer_and_protocol_the_study_was_created_with() -> None:
    with _cluster(AUTOLOOP_ATARI_PROTOCOL=SERVICE_PROTOCOL) as cluster:
        dead = {**cluster.env, "OPENAI_BASE_URL": DEAD_URL, "OPENAI_API_KEY": "sk-dead", "AUTOLOOP_ATARI_PROTOCOL": "1x50"}
        bare = {**cluster.env, "AUTOLOOP_ATARI_PROTOCOL": "2x30"}
        workers = [cluster.start_worker(processes=1, env=dead), cluster.start_worker(processes=1, env=bare)]
        with autoloop.Client(cluster.url, cluster.token(), timeout_s=120) as client:
            # No optimizer, no endpoint: the service (no endpoint configured) resolves `local` at creation.
            toy = client.submit(
                "slowtoy:linear", space="batch_size=1,2", budget_iterations=60, iterations=3, seeds=2, top_k=2,
                final_seeds=2, parallel=2, strategy="tpe", pruner="none",
            )
            atari = client.submit(
                "atari:Pong", space="artifact=modular;credit_horizon=1;batch_size=1", budget_iterations=4, iterations=1,
                seeds=1, top_k=1, final_seeds=1, parallel=2, optimizer="local", strategy="tpe", pruner="none",
            )
            for study in (toy, atari):
                status = study.wait(progress=False, poll_s=0.5, timeout_s=300)
                assert status["state"] == "finished", status
            recommendation = toy.recommendation()
        toy_results, atari_results = _results(cluster, toy.id), _results(cluster, atari.id)
        assert len(toy_results) == 8 and len(atari_results) == 2
        assert {r["optimizer"] for r in toy_results} == {"local"}
        assert [r["optimizer"] for r in recommendation["runs"]] == ["local"] * 8
        assert all(r["task_options"] == {"protocol": SERVICE_PROTOCOL} for r in atari_results)
        # Both workers took runs, so the outcome above held on both environments.
        ran = {_worker_of(cluster, s.id, r["run_id"]) for s, rs in ((toy, toy_results), (atari, atari_results)) for r in rs}
        assert ran == {w.pid for w in workers}


def _redis_bytes(redis) -> dict[bytes, bytes]:
    """Every value in Redis as bytes (RQ's zlib-compressed job data inflated), by key."""
    out: dict[bytes, bytes] = {}
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key)
        if kind == b"string":
            parts = [redis.get(key)]
        elif kind == b"hash":
            parts = [*redis.hkeys(key), *redis.hvals(key)]
        elif kind == b"list":
            parts = redis.lrange(key, 0, -1)
        elif kind == b"set":
            parts = list(redis.smembers(key))
        elif kind == b"zset":
            parts = redis.zrange(key, 0, -1)
        else:
            parts = [repr(redis.xrange(key)).encode()]
        inflated = []
        for part in parts:
            with contextlib.suppress(zlib.error):
                inflated.append(zlib.decompress(part))
        out[key] = b"\n".join([*parts, *inflated])
    return out


def test_jobs_carry_key_references_and_the_operator_key_never_goes_to_a_tenant_url() -> None:
    # No workers: jobs stay queued. The operator allows the tenant's (unresolvable) host by name.
    with _cluster(OPENAI_BASE_URL=DEAD_URL, OPENAI_API_KEY=OPERATOR_KEY, AUTOLOOP_LLM_ALLOW="tenant.invalid") as cluster:
        study = dict(space="batch_size=1", budget_iterations=40, iterations=2, seeds=1, top_k=1, final_seeds=1, parallel=1, strategy="tpe")
        with autoloop.Client(cluster.url, cluster.token(), timeout_s=120) as client:
            own_url_no_key = client.submit("slowtoy:linear", llm_base_url="http://tenant.invalid/v1", **study)
            own_url_own_key = client.submit("slowtoy:linear", llm_base_url="http://tenant.invalid/v1", llm_api_key=TENANT_KEY, **study)
            operators = client.submit("slowtoy:linear", **study)
        redis = cluster.redis()
        records = StudyRecords(redis)
        queue = owner_queue(redis, records.owner(operators.id))
        wait_for(lambda: queue.count == 3, 60, "one queued run per study")
        first, second, third = (records.template(s.id) for s in (own_url_no_key, own_url_own_key, operators))
        assert (first.optimizer, first.endpoint.base_url, first.endpoint.api_key_ref) == ("llm", "http://tenant.invalid/v1", None)
        assert second.endpoint.api_key_ref == f"secret:{own_url_own_key.id}/tenant"
        assert (third.optimizer, third.endpoint.base_url) == ("llm", DEAD_URL)
        assert third.endpoint.api_key_ref == f"secret:{operators.id}/OPENAI_API_KEY"
        values = _redis_bytes(redis)
        payloads = b"\n".join(v for k, v in values.items() if k.startswith(b"rq:job:"))
        assert f"secret:{operators.id}/OPENAI_API_KEY".encode() in payloads  # the payloads were read
        # No plain key anywhere in Redis, the secrets hashes included (encrypted), nor in its append-only file.
        redis.bgrewriteaof()
        wait_for(lambda: redis.info("persistence")["aof_rewrite_in_progress"] == 0, 30, "the AOF rewrite")
        aof = b"".join(p.read_bytes() for p in cluster.home.rglob("*.aof*") if p.is_file())
        assert aof, "no append-only file found"
        for key, value in [*values.items(), (b"aof", aof)]:
            assert TENANT_KEY.encode() not in value and OPERATOR_KEY.encode() not in value, key
        assert StudySecrets(redis, home=cluster.home).get(f"{own_url_own_key.id}/tenant") == TENANT_KEY  # workers with the key can read it
        assert not redis.exists(keys.study_secrets(own_url_no_key.id))
