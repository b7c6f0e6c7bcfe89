"""Crashes mid-study: the service (with its Redis) restarted, or its Redis killed; a worker's death is in test_worker_recovery."""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalRedisBackend

import autoloop
from autoloop.redisdb import keys
from tests.service.conftest import Cluster, running_run, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


def _trials(cluster: Cluster, study_id: str) -> list[tuple[int, dict]]:
    url = cluster.redis_url or (cluster.home / "redis.url").read_text().strip()
    storage = JournalStorage(JournalRedisBackend(url, prefix=keys.OPTUNA_PREFIX))
    return [(t.number, t.params) for t in optuna.load_study(study_name=study_id, storage=storage).trials]


@pytest.mark.parametrize("crash", [False, True], ids=["sigterm", "sigkill"])
def test_service_and_redis_restart_mid_study(cluster: Cluster, crash: bool) -> None:
    cluster.start_worker(processes=2)
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study, redis = _study_under_way(cluster, client)
        before = _trials(cluster, study.id)
        if crash:  # no clean-up; the next start shuts the orphaned Redis down (append-only file flushed)
            cluster.kill_service()
        else:  # the service detaches its controller and stops Redis
            cluster.stop_service()
            assert not (cluster.home / "redis.url").exists()
        time.sleep(1)
        cluster.start_service()
        status = study.wait(progress=False, poll_s=0.5, timeout_s=180)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    redis = cluster.redis()
    outcomes = [json.loads(v) for v in redis.hvals(keys.study_runs(study.id))]
    # 2 settings x 2 seeds in the search, 2 fresh seeds for the winner: 6 runs, each counted once.
    assert len(outcomes) == 6 and {o["kind"] for o in outcomes} == {"done"}
    assert len(recommendation["runs"]) == 6
    assert status["progress"]["runs_done"] == 6
    # The Optuna study was kept, not rebuilt: the trials from before the restart keep their numbers.
    after = _trials(cluster, study.id)
    assert before and after[: len(before)] == before and len(after) == 2
    # No run was repeated: each run's job started exactly once.
    run_ids = [k.decode() for k in redis.hkeys(keys.study_runs(study.id))]
    assert [int(redis.hget(keys.run_state(r), "attempts")) for r in run_ids] == [1] * 6


def test_embedded_redis_killed_mid_study_is_restarted_and_the_study_completes(cluster: Cluster) -> None:
    cluster.start_worker(processes=2)
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study, redis = _study_under_way(cluster, client)
        pid = int((cluster.home / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        assert httpx.get(f"{cluster.url}/healthz", timeout=10).status_code == 503  # meanwhile: 503, not 500
        wait_for(lambda: _healthy(cluster), 60, "Redis restarted by the service")
        assert int((cluster.home / "redis.pid").read_text()) != pid
        status = study.wait(progress=False, poll_s=0.5, timeout_s=180)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    redis = cluster.redis()
    outcomes = [json.loads(v) for v in redis.hvals(keys.study_runs(study.id))]
    assert len(outcomes) == 6 and {o["kind"] for o in outcomes} == {"done"}  # no run lost
    assert len(recommendation["runs"]) == 6 and status["progress"]["runs_done"] == 6  # none doubled


def _study_under_way(cluster: Cluster, client: autoloop.Client) -> tuple[autoloop.Study, object]:
    """2 settings x 2 seeds, the winner re-run with 2 fresh seeds (6 runs); returns once one run
    is done and another is running."""
    study = client.submit(
        "slowtoy:linear", space="batch_size=1,2", budget_iterations=60, iterations=5, seeds=2, top_k=1,
        final_seeds=2, parallel=2, optimizer="local", strategy="tpe", pruner="none",
    )
    redis = cluster.redis()
    wait_for(lambda: redis.hlen(keys.study_runs(study.id)) >= 1 and running_run(redis, study.id, 1), 90, "one run done, one running")
    return study, redis


def _healthy(cluster: Cluster) -> bool:
    try:
        return httpx.get(f"{cluster.url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_a_best_arm_study_survives_a_service_restart(cluster: Cluster) -> None:
    cluster.start_worker(processes=2)
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study = client.submit(
            "slowtoy:linear", space="batch_size=1,2", budget_iterations=40, iterations=5, parallel=2, optimizer="local",
        )
        redis = cluster.redis()
        wait_for(lambda: redis.hlen(keys.study_runs(study.id)) >= 1 and running_run(redis, study.id, 1), 90, "one run done, one running")
        before = _trials(cluster, study.id)
        cluster.stop_service()
        time.sleep(1)
        cluster.start_service()
        status = study.wait(progress=False, poll_s=0.5, timeout_s=180)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    assert recommendation["strategy"] == "halving" and recommendation["stop_reason"] in ("iterations", "confident", "seeds")
    assert recommendation["verdict"]["pick"].items() <= recommendation["settings"].items()
    assert recommendation["test"]["n"] >= 1
    redis = cluster.redis()
    run_ids = [k.decode() for k in redis.hkeys(keys.study_runs(study.id))]
    assert len(recommendation["runs"]) == len(run_ids) == len(set(run_ids))
    assert [int(redis.hget(keys.run_state(r), "attempts")) for r in run_ids] == [1] * len(run_ids)  # none repeated
    after = _trials(cluster, study.id)
    assert before and after[: len(before)] == before and len(after) == 2  # one trial per setting, kept
