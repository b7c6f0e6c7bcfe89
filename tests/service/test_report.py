"""The service serves a finished study's HTML report to its owner only, and shows per-setting progress live."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

import autoloop
from autoloop.report import FIGURES
from tests.service.conftest import CLI, Cluster

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]

# A best-arm study of 2 settings (the default strategy): a few seeds each.
STUDY = dict(space="batch_size=1,2", budget_iterations=24, iterations=3, parallel=2, optimizer="local")


def test_report_is_the_owners_and_status_shows_each_setting(cluster: Cluster, tmp_path) -> None:
    owner, other = cluster.token("owner"), cluster.token("other")
    with autoloop.Client(cluster.url, owner) as client:
        study = client.submit("slowtoy:linear", **STUDY)
        url = f"{cluster.url}/v1/studies/{study.id}/report"
        assert httpx.get(url, headers={"Authorization": f"Bearer {owner}"}).status_code == 409  # queued: no workers yet
        cluster.start_worker(processes=2)
        env = {**cluster.env, "AUTOLOOP_URL": cluster.url, "AUTOLOOP_TOKEN": owner}
        watched = subprocess.run(
            [sys.executable, "-c", CLI, "status", study.id, "--watch", "--interval", "0.3"], env=env, capture_output=True, text=True,
            timeout=180,
        )
        assert watched.returncode == 0, watched.stderr
        status = study.status()
        assert status["state"] == "finished"
        page = study.report()
    last = watched.stdout.rsplit(f"study {study.id}", 1)[1]  # the final frame
    assert "finished" in last and "batch_size=1" in last and "batch_size=2" in last and "allocation" in last
    settings = status["progress"]["settings"]
    assert sorted(s["settings"]["batch_size"] for s in settings) == [1, 2]
    assert sum(s["runs"] for s in settings) == status["progress"]["runs_done"]
    assert abs(sum(s["allocation"] for s in settings) - 1) < 1e-9 and all(s["mean"] == s["mean_val"] for s in settings)
    assert page.startswith("<!DOCTYPE html>") and all(f'id="{fig_id}"' in page for fig_id in FIGURES)
    served = httpx.get(url, headers={"Authorization": f"Bearer {owner}"})
    policy = served.headers["content-security-policy"]  # only the page's own scripts run (by hash), nothing loads
    assert served.text.count("<script") == policy.count("'sha256-") > 0 and "connect-src 'none'" in policy
    assert httpx.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 404  # another tenant's token
    assert httpx.get(url).status_code == 401
    out = tmp_path / "report.html"  # `autoloop report STUDY_ID` fetches the same page
    subprocess.run([sys.executable, "-c", CLI, "report", study.id, "-o", str(out)], env=env, check=True, capture_output=True, timeout=60)
    assert out.read_text() == page
