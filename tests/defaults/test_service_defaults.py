"""``GET /v1/defaults``, ``Client.defaults``, ``autoloop defaults`` and warm starts: a tenant's own finished studies, never another's."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

import autoloop
from autoloop.errors import ConfigError
from tests.service.conftest import CLI, Cluster, cluster  # noqa: F401 - fixture
from tests.service.test_admission import _refused, service  # noqa: F401 - fixture

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]

# A small best-arm study of 2 settings: every setting a few seeds.
STUDY = dict(space="batch_size=1,2", budget_iterations=18, iterations=3, parallel=2, optimizer="local")


def _finish(client: autoloop.Client, *tasks: str) -> list[dict]:
    studies = [client.submit(task, **STUDY) for task in tasks]
    for study in studies:
        assert study.wait(progress=False, timeout_s=240)["state"] == "finished"
    return [s.recommendation() for s in studies]


def _runs(recs: list[dict]) -> int:
    return sum(1 for rec in recs for run in rec["runs"] if run["best_val"] is not None and not run["stopped"] and not run["error"])


# About 50 s on a quiet machine (longer under load): six real studies on a real service and workers, one
# cluster for the whole tenant story rather than one per check.
def test_a_tenants_defaults_rest_on_its_own_finished_studies_only(cluster: Cluster) -> None:
    a_token, b_token = cluster.token("a"), cluster.token("b")
    cluster.start_worker(processes=2)
    with autoloop.Client(cluster.url, a_token) as a, autoloop.Client(cluster.url, b_token) as b:
        a_recs = _finish(a, "toy:linear", "toy:linear", "slowtoy:linear")
        with pytest.raises(ConfigError, match=r"HTTP 422: robust defaults need finished studies of at least two tasks; .*none"):
            b.defaults()  # A's three studies are not B's
        a_view = a.defaults()
        assert a_view["evidence"]["studies"] == 3 and a_view["evidence"]["runs"] == _runs(a_recs)
        assert a_view["tasks"] == ["slowtoy:linear", "toy:linear"]
        assert {e["task"] for e in a_view["leave_one_task_out"]} == {"slowtoy:linear", "toy:linear"}
        b_recs = _finish(b, "toy:linear", "slowtoy:linear")
        b_view = b.defaults(tasks=["toy:linear", "slowtoy:linear"])
        assert b_view["evidence"]["studies"] == 2 and b_view["evidence"]["runs"] == _runs(b_recs)
        with pytest.raises(ConfigError, match="HTTP 422: no finished study of atari:Pong"):
            b.defaults(tasks=["toy:linear", "atari:Pong"])
        # warm start reads the owner's own studies of the family: B's one toy study, never A's two
        warm = b.submit("toy:linear", **STUDY, warm_start=True)
        assert warm.wait(progress=False, timeout_s=240)["state"] == "finished"
        assert warm.recommendation()["warm_start"]["text"] == "started from 1 past study (1 of this task)"
    bad = httpx.get(f"{cluster.url}/v1/defaults", params={"tasks": "not a task"}, headers={"Authorization": f"Bearer {b_token}"})
    assert bad.status_code == 422 and "tasks" in bad.text
    assert httpx.get(f"{cluster.url}/v1/defaults").status_code == 401
    env = {**cluster.env, "AUTOLOOP_URL": cluster.url, "AUTOLOOP_TOKEN": b_token}
    shown = subprocess.run([sys.executable, "-c", CLI, "defaults", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["evidence"]["studies"] == 3  # B's warm-started study finished too


def test_a_warm_start_with_a_strategy_that_takes_no_prior_is_refused_at_submission(service) -> None:
    detail = _refused(service, {"task": "toy:linear", "strategy": "tpe", "warm_start": True})
    assert detail.startswith("warm_start: strategy 'tpe' starts from no prior; use halving, racing or ttts")
