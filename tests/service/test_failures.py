"""Infrastructure failures: a run that cannot reach its LLM endpoint is retried, then fails the study by name."""

from __future__ import annotations

import json

import pytest

import autoloop
from autoloop.cli import main
from autoloop.client import StudyFailedError
from autoloop.errors import AutoloopError
from autoloop.redisdb import keys
from tests.service.conftest import Cluster, free_port

pytestmark = pytest.mark.integration


# Over a minute (about 65 s): the LLM client's capped backoff over its retries runs out in full before the
# run fails; shortening it would test a different retry policy than the one users get.
def test_an_endpoint_that_is_down_is_retried_then_fails_the_study_naming_it(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.start_worker(processes=2)
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nobody listens here
    token = cluster.token()
    with autoloop.Client(cluster.url, token) as client:
        study = client.submit(
            "slowtoy:linear", space="batch_size=1", budget_iterations=40, iterations=2, seeds=1, top_k=1,
            final_seeds=1, parallel=1, optimizer="llm", llm_base_url=dead, strategy="tpe", pruner="none",
        )
        with pytest.raises(StudyFailedError) as failed:
            study.wait(progress=False, poll_s=0.5, timeout_s=240)
        status = failed.value.last_status
        with pytest.raises(AutoloopError) as no_result:
            study.recommendation()
    assert status["state"] == "failed", status
    error = status["error"]
    assert "could not connect to LLM endpoint" in error and dead in error, error
    assert "raise the budget" not in error
    assert str(failed.value) == f"study {study.id} failed: {error}"
    assert no_result.value.status == 409 and f"study {study.id} failed, so it has no recommendation: {error}" in str(no_result.value)
    where = ["--url", cluster.url, "--token", token]
    assert main(["status", study.id, *where]) == 0
    assert f"study {study.id} failed: {error}" in capsys.readouterr().out
    assert main(["result", study.id, *where]) == 2
    assert f"failed, so it has no recommendation: {error}" in capsys.readouterr().err
    redis = cluster.redis()
    run_ids = [k.decode() for k in redis.hkeys(keys.study_runs(study.id))]
    assert len(run_ids) == 1
    assert int(redis.hget(keys.run_state(run_ids[0]), "attempts")) == 4  # the first try and RQ's 3 retries
    outcome = json.loads(redis.hget(keys.study_runs(study.id), run_ids[0]))
    assert outcome["kind"] == "failed" and dead in outcome["error"]


def test_a_worker_without_the_plugin_fails_the_study_saying_to_install_it_and_restart(cluster: Cluster) -> None:
    cluster.start_worker(processes=1, env={**cluster.env, "AUTOLOOP_PLUGINS": ""})  # the service has the plug-in, the worker not
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study = client.submit(
            "slowtoy:linear", space="batch_size=1", budget_iterations=40, iterations=2, seeds=1, top_k=1,
            final_seeds=1, parallel=1, optimizer="local", strategy="tpe", pruner="none",
        )
        with pytest.raises(StudyFailedError) as failed:
            study.wait(progress=False, poll_s=0.5, timeout_s=240)
    assert "this worker does not know task 'slowtoy:linear'" in str(failed.value) and "then restart them" in str(failed.value)
