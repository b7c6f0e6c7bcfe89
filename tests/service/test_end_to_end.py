"""Service + 2 worker processes + embedded Redis: a study submitted through the client finishes."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalRedisBackend

import autoloop
from autoloop.errors import UnknownNameError
from autoloop.executors import owner_queue
from autoloop.redisdb import keys
from autoloop.service import StudyRecords
from tests.service.conftest import CLI, Cluster, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]

# 2 settings (batch size 1, 2) x 1 seed, then the winner re-run with 2 fresh seeds: 4 runs.
STUDY = dict(
    space="batch_size=1,2", budget_iterations=40, iterations=4, seeds=1, top_k=1, final_seeds=2, parallel=2,
    optimizer="local", strategy="tpe", pruner="none",
)


def test_study_through_client_finishes_with_recommendation(any_cluster: Cluster) -> None:
    cluster = any_cluster
    cluster.start_worker(processes=2)
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study = client.submit("slowtoy:linear", llm_api_key="sk-secret-never-echoed", **STUDY)
        status = study.wait(progress=False, poll_s=0.3, timeout_s=120)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    assert recommendation["task"] == "slowtoy:linear"
    assert recommendation["settings"]["batch_size"] in (1, 2)
    assert recommendation["test"]["n"] == 2
    runs = recommendation["runs"]
    assert len(runs) == 4 and all(r["error"] is None for r in runs)
    progress = status["progress"]
    assert progress["runs_done"] == 4 and progress["runs_running"] == progress["runs_queued"] == 0
    assert progress["iterations"] == 16 and progress["best_val"] is not None
    assert progress["metric"] == "neg_abs_error" and progress["best"] == progress["best_val"]
    assert progress["best_revalidation"] is not None and progress["revalidation"] == progress["best_revalidation"]
    # The LLM key stays out of every reply and out of the service log.
    assert "sk-secret" not in json.dumps(status) + json.dumps(recommendation)
    echoed = status["request"]["llm"]
    assert "api_key" not in echoed and (echoed["model"], echoed["base_url"], echoed["api_key_set"]) == (None, None, True)
    # The Optuna study lives in Redis (JournalRedisBackend): one completed trial per setting.
    url = cluster.redis_url or (cluster.home / "redis.url").read_text().strip()
    storage = JournalStorage(JournalRedisBackend(url, prefix=keys.OPTUNA_PREFIX))
    trials = optuna.load_study(study_name=study.id, storage=storage).trials
    assert sorted(t.params["batch_size"] for t in trials) == [1, 2]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    for log in ("serve.log", "worker.log"):
        text = (cluster.home / log).read_text()
        assert "DEBUG" in text and "sk-secret" not in text


def test_tokens_scope_studies(shared_cluster: Cluster) -> None:
    token_a, token_b = shared_cluster.token("a"), shared_cluster.token("b")
    with autoloop.Client(shared_cluster.url, token_a) as a:
        study = a.submit("slowtoy:linear", **STUDY)  # no workers: it stays queued
    for method, path in (("GET", ""), ("GET", "/recommendation"), ("DELETE", "")):
        url = f"{shared_cluster.url}/v1/studies/{study.id}{path}"
        assert httpx.request(method, url).status_code == 401
        assert httpx.request(method, url, headers={"Authorization": "Bearer al_forged"}).status_code == 401
        assert httpx.request(method, url, headers={"Authorization": f"Bearer {token_b}"}).status_code == 404
    with autoloop.Client(shared_cluster.url, token_b) as b:
        assert b.studies() == []
        with pytest.raises(UnknownNameError):
            b.study(study.id)
    with autoloop.Client(shared_cluster.url, token_a) as a:
        assert [s["id"] for s in a.studies()] == [study.id]
    assert httpx.get(f"{shared_cluster.url}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{shared_cluster.url}/v1/tasks").status_code == 200


def _cli(cluster: Cluster, token: str, *args: str) -> dict:
    env = {**cluster.env, "AUTOLOOP_URL": cluster.url, "AUTOLOOP_TOKEN": token}
    out = subprocess.run([sys.executable, "-c", CLI, *args, "--json"], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"autoloop {' '.join(args)} exited {out.returncode}: {out.stdout[-2000:]}{out.stderr[-2000:]}"
    return json.loads(out.stdout)


def test_cancel_drops_queued_runs(shared_cluster: Cluster) -> None:
    token = shared_cluster.token()
    with autoloop.Client(shared_cluster.url, token) as client:
        study = client.submit("slowtoy:linear", **STUDY)
        redis = shared_cluster.redis()
        wait_for(lambda: redis.hlen(keys.study_live(study.id)) == 2, 30, "two queued runs")
        assert _cli(shared_cluster, token, "status", study.id)["progress"]["runs_queued"] == 2
        assert _cli(shared_cluster, token, "cancel", study.id)["state"] == "cancelled"
        wait_for(lambda: len(redis.hvals(keys.study_runs(study.id))) == 2, 30, "queued runs recorded as stopped")
        outcomes = [json.loads(v) for v in redis.hvals(keys.study_runs(study.id))]
        assert {o["error"] for o in outcomes} == {"stopped before it started"}
        assert owner_queue(redis, StudyRecords(redis).owner(study.id)).count == 0
        assert study.status()["state"] == "cancelled"


def test_a_study_whose_candidate_always_fails_shows_why_in_status_and_result(cluster: Cluster) -> None:
    cluster.start_worker(processes=2)
    token = cluster.token()
    with autoloop.Client(cluster.url, token) as client:
        study = client.submit("toy:broken", **STUDY)
        status = study.wait(progress=False, poll_s=0.3, timeout_s=120)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    message = "ValueError: act returned 2; return an int in 0..1"
    failures = status["progress"]["failures"]
    assert failures["failed"] == failures["evaluations"] > 0 and failures["errors"] == [[message, failures["failed"]]]
    assert failures["summary"] == f"{failures['failed']} of {failures['evaluations']} evaluations failed: {message} ({failures['failed']}x)"
    assert recommendation["failures"]["summary"] == failures["summary"]
    assert all(r["failures"]["failed"] == r["failures"]["evaluations"] for r in recommendation["runs"])
    env = {**cluster.env, "AUTOLOOP_URL": cluster.url, "AUTOLOOP_TOKEN": token}
    shown = subprocess.run([sys.executable, "-c", CLI, "status", study.id], env=env, capture_output=True, text=True, check=True).stdout
    assert f"study {study.id}: {failures['summary']}" in shown
