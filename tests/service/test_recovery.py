"""Crashes mid-study: a worker killed with SIGKILL, and the service (with its Redis) restarted."""

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
from tests.service.conftest import Cluster, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


def _trials(cluster: Cluster, study_id: str) -> list[tuple[int, dict]]:
    url = cluster.redis_url or (cluster.home / "redis.url").read_text().strip()
    storage = JournalStorage(JournalRedisBackend(url, prefix=keys.OPTUNA_PREFIX))
    return [(t.number, t.params) for t in optuna.load_study(study_name=study_id, storage=storage).trials]


def _progress_iterations(redis, study_id: str, run_id: str) -> list[int]:
    out = []
    for _id, fields in redis.xrange(keys.study_events(study_id)):
        event = json.loads(fields[b"event"])
        if event["run_id"] == run_id and event["kind"] == "progress":
            out.append(event["progress"]["iteration"])
    return out


def _running_run(redis, study_id: str, min_iteration: int) -> str | None:
    for run_id, raw in redis.hgetall(keys.study_live(study_id)).items():
        entry = json.loads(raw)
        if entry["state"] == "running" and (entry.get("iteration") or 0) >= min_iteration:
            return run_id.decode()
    return None


# Over a minute (about 80 s): four real runs of 6 one-second iterations, a kill, and the dead worker's run
# slot expiring (15 s) before another worker may resume the run: the recovery is what is timed.
def test_worker_killed_mid_run_resumes_from_checkpoint(slow_cluster: Cluster) -> None:
    cluster = slow_cluster
    cluster.start_worker(processes=2)
    # 2 settings x 1 seed, winner re-run with 2 seeds: 4 runs of 6 iterations, about 1 s each iteration.
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study = client.submit(
            "slowtoy:linear", space="batch_size=1,2", budget_iterations=60, iterations=6, seeds=1, top_k=1,
            final_seeds=2, parallel=2, optimizer="local", strategy="tpe", pruner="none",
        )
        redis = cluster.redis()
        run_id = wait_for(lambda: _running_run(redis, study.id, 2), 60, "a run past iteration 2")
        worker = int(redis.hget(keys.run_state(run_id), "pid"))  # runs the loop itself, no work horse
        os.kill(worker, signal.SIGKILL)  # the machine "died"
        killed_at = _progress_iterations(redis, study.id, run_id)[-1]
        status = study.wait(progress=False, poll_s=0.5, timeout_s=240)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    outcomes = {k.decode(): json.loads(v) for k, v in redis.hgetall(keys.study_runs(study.id)).items()}
    assert len(outcomes) == 4 and {o["kind"] for o in outcomes.values()} == {"done"}  # nothing lost
    assert len(recommendation["runs"]) == 4  # nothing doubled
    assert run_id in outcomes and int(redis.hget(keys.run_state(run_id), "attempts")) == 2
    iterations = _progress_iterations(redis, study.id, run_id)
    resumed = iterations[iterations.index(killed_at) + 1]
    assert resumed >= killed_at, f"the re-run started over instead of resuming: {iterations}"
    assert iterations.count(1) == 1 and iterations[-1] == 6


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


# Over a minute (about 95 s): a 40-iteration run must outlast RQ's warm shutdown, then resume and finish.
def test_worker_sigterm_mid_run_shuts_down_cold_and_the_run_resumes_on_another_worker(slow_cluster: Cluster) -> None:
    cluster = slow_cluster
    worker = cluster.start_worker(processes=1)
    # One run of 40 iterations (about 1 s each) outlasts the warm shutdown, then its final re-run.
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study = client.submit(
            "slowtoy:linear", space="batch_size=1", budget_iterations=80, iterations=40, seeds=1, top_k=1,
            final_seeds=1, parallel=1, optimizer="local", strategy="tpe", pruner="none",
        )
        redis = cluster.redis()
        run_id = wait_for(lambda: _running_run(redis, study.id, 2), 60, "a run past iteration 2")
        worker.send_signal(signal.SIGTERM)  # warm shutdown, then cold: the run is interrupted
        assert worker.wait(60) == 0
        stopped_at = _progress_iterations(redis, study.id, run_id)[-1]
        assert stopped_at < 40, "the run finished during the warm shutdown; make it longer"
        cluster.start_worker(processes=1)
        status = study.wait(progress=False, poll_s=0.5, timeout_s=240)
        assert status["state"] == "finished", status
    assert int(redis.hget(keys.run_state(run_id), "attempts")) == 2
    iterations = _progress_iterations(redis, study.id, run_id)
    assert iterations[iterations.index(stopped_at) + 1] >= stopped_at and iterations.count(1) == 1


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
    wait_for(lambda: redis.hlen(keys.study_runs(study.id)) >= 1 and _running_run(redis, study.id, 1), 90, "one run done, one running")
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
        wait_for(lambda: redis.hlen(keys.study_runs(study.id)) >= 1 and _running_run(redis, study.id, 1), 90, "one run done, one running")
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
