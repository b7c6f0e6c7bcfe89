"""A cancelled study keeps what it found: its recommendation and report say "cancelled" and show the runs done."""

from __future__ import annotations

import pytest

import autoloop
from autoloop.errors import AutoloopError
from tests.service.conftest import Cluster, cluster, wait_for  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

# Four settings (toy's two batch sizes x two memories), a budget for many seeds: it is cancelled long before its end.
STUDY = dict(space="batch_size=1,2;memory=0,3", budget_iterations=400, iterations=3, parallel=2, optimizer="local", strategy="halving")


def test_a_cancelled_study_has_a_partial_recommendation_and_report(cluster: Cluster) -> None:
    cluster.start_worker(processes=2)
    with autoloop.Client(cluster.url, cluster.token()) as client:
        study = client.submit("slowtoy:linear", **STUDY)
        wait_for(lambda: study.status()["progress"]["runs_done"] >= 6, 120, "six finished runs")
        study.cancel()
        wait_for(lambda: _partial(client, study.id), 60, "the partial recommendation")
        recommendation = study.recommendation()
        assert study.status()["state"] == "cancelled"
        assert recommendation["stop_reason"] == "cancelled" and recommendation["verdict"] is not None
        assert len([r for r in recommendation["runs"] if r["best_val"] is not None]) >= 6
        assert "search ended by: cancelled" in str(recommendation)
        page = study.report()
        assert "cancelled" in page and "Verdict" in page


def _partial(client: autoloop.Client, study_id: str) -> bool:
    try:
        client.study(study_id).recommendation()
    except AutoloopError:
        return False
    return True
