"""A worker that dies mid-run (SIGKILL) or is told to stop (SIGTERM): the run resumes from its
checkpoint on another worker, nothing lost, nothing run twice. Apart from the service restarts
(test_recovery) so that the two slow recoveries run beside them in a parallel suite."""

from __future__ import annotations

import json
import os
import signal

import pytest

import autoloop
from autoloop.redisdb import keys
from tests.service.conftest import Cluster, progress_iterations, running_run, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


# Over a minute (about 80 s): four real runs of 6 one-second iterations, a kill, and the dead worker's run
# slot expiring (15 s) before another worker may resume the run: the recovery is what is timed.
def test_worker_killed_mid_run_resumes_from_checkpoint(slow_cluster: Cluster) -> None:
    cluster = slow_cluster
    cluster.start_worker(processes=2)
    # 2 settings x 1 seed, winner re-run with 2 seeds: 4 runs of 6 iterations, about 1 s each iteration.
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study, redis, run_id = _a_run_under_way(
            cluster, client, space="batch_size=1,2", budget_iterations=60, iterations=6, final_seeds=2, parallel=2,
        )
        worker = int(redis.hget(keys.run_state(run_id), "pid"))  # runs the loop itself, no work horse
        os.kill(worker, signal.SIGKILL)  # the machine "died"
        killed_at = progress_iterations(redis, study.id, run_id)[-1]
        status = study.wait(progress=False, poll_s=0.5, timeout_s=240)
        assert status["state"] == "finished", status
        recommendation = study.recommendation()
    outcomes = {k.decode(): json.loads(v) for k, v in redis.hgetall(keys.study_runs(study.id)).items()}
    assert len(outcomes) == 4 and {o["kind"] for o in outcomes.values()} == {"done"}  # nothing lost
    assert len(recommendation["runs"]) == 4  # nothing doubled
    assert run_id in outcomes and int(redis.hget(keys.run_state(run_id), "attempts")) == 2
    iterations = progress_iterations(redis, study.id, run_id)
    resumed = iterations[iterations.index(killed_at) + 1]
    assert resumed >= killed_at, f"the re-run started over instead of resuming: {iterations}"
    assert iterations.count(1) == 1 and iterations[-1] == 6


# Over a minute (about 95 s): a 40-iteration run must outlast RQ's warm shutdown, then resume and finish.
def test_worker_sigterm_mid_run_shuts_down_cold_and_the_run_resumes_on_another_worker(slow_cluster: Cluster) -> None:
    cluster = slow_cluster
    worker = cluster.start_worker(processes=1)
    # One run of 40 iterations (about 1 s each) outlasts the warm shutdown, then its final re-run.
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study, redis, run_id = _a_run_under_way(cluster, client, space="batch_size=1", budget_iterations=80, iterations=40, final_seeds=1, parallel=1)
        worker.send_signal(signal.SIGTERM)  # warm shutdown, then cold: the run is interrupted
        assert worker.wait(60) == 0
        stopped_at = progress_iterations(redis, study.id, run_id)[-1]
        assert stopped_at < 40, "the run finished during the warm shutdown; make it longer"
        cluster.start_worker(processes=1)
        status = study.wait(progress=False, poll_s=0.5, timeout_s=240)
        assert status["state"] == "finished", status
    assert int(redis.hget(keys.run_state(run_id), "attempts")) == 2
    iterations = progress_iterations(redis, study.id, run_id)
    assert iterations[iterations.index(stopped_at) + 1] >= stopped_at and iterations.count(1) == 1


def _a_run_under_way(cluster: Cluster, client: autoloop.Client, **plan: object) -> tuple[autoloop.Study, object, str]:
    """Submit a one-seed TPE study of ``slowtoy:linear`` with ``plan`` on top; return it, the
    cluster's Redis and a run of it past iteration 2."""
    study = client.submit("slowtoy:linear", seeds=1, top_k=1, optimizer="local", strategy="tpe", pruner="none", **plan)
    redis = cluster.redis()
    return study, redis, wait_for(lambda: running_run(redis, study.id, 2), 60, "a run past iteration 2")
