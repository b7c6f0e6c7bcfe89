"""Task options through the service: the client sends them, the study checks them against the data
at submission (an unknown column is refused with the columns the CSV has) and keeps them in its jobs."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from autoloop.cli import build_parser
from autoloop.cli._run import given_task_options
from autoloop.redisdb import EmbeddedRedis
from autoloop.service import OperatorSettings, create_app, create_token
from autoloop.service._runner import StudyRunner
from tests.service.conftest import CLI, Cluster, submissions

pytestmark = pytest.mark.integration


def test_the_client_sends_task_options_and_a_data_file() -> None:
    with submissions() as (client, sent):
        client.submit("csv:pets", data_dir="/data/pets.csv", task_options={"target": "kind"})
        client.submit("toy:linear")
    assert (sent[0]["data_dir"], sent[0]["task_options"]) == ("/data/pets.csv", {"target": "kind"})
    assert sent[1]["task_options"] == {}


@pytest.mark.parametrize("command", ["run", "tune", "submit"])
def test_every_command_takes_the_same_task_options(command: str) -> None:
    args = build_parser().parse_args([command, "csv:pets", "--data", "pets.csv", "--target", "kind", "--task-option", "metric=accuracy"])
    assert (args.data, given_task_options(args)) == ("pets.csv", {"metric": "accuracy", "target": "kind"})


def _pets(folder: Path) -> Path:
    """A small CSV with a string-label target: four kinds of pet told apart by their sound, 50 rows each."""
    csv = folder / "pets.csv"
    frame = pd.DataFrame({"legs": [4, 2, 4, 0], "sound": ["bark", "tweet", "meow", "blub"], "kind": ["dog", "bird", "cat", "fish"]})
    pd.concat([frame] * 50).to_csv(csv, index=False)
    return csv


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    """The app with a real study runner on an embedded Redis, a token and a small CSV."""
    csv = _pets(tmp_path)
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        runner = StudyRunner(client, server.url, settings=OperatorSettings(home=Path(home), data_roots=(tmp_path.resolve(),)))
        with TestClient(create_app(client, runner)) as http:
            yield http, {"Authorization": f"Bearer {create_token(client, 'test')}"}, csv
        runner.shutdown()


def test_a_study_checks_its_task_options_against_the_data_at_submission(served: tuple[TestClient, dict[str, str], Path]) -> None:
    http, auth, csv = served
    body = {"task": "csv:pets", "data_dir": str(csv), "optimizer": "local"}
    wrong = http.post("/v1/studies", json={**body, "task_options": {"target": "species"}}, headers=auth)
    assert wrong.status_code == 422 and "no column 'species'" in wrong.json()["detail"] and "legs, sound, kind" in wrong.json()["detail"]
    missing = http.post("/v1/studies", json={**body, "data_dir": str(csv.with_name("cats.csv")), "task_options": {"target": "kind"}}, headers=auth)
    assert missing.status_code == 422 and missing.json()["detail"].startswith("data_dir: no such file or folder")
    created = http.post("/v1/studies", json={**body, "task_options": {"target": "kind"}}, headers=auth)
    assert created.status_code == 201, created.json()
    assert created.json()["progress"]["metric"] == "accuracy"  # inferred from the target at submission
    assert created.json()["request"]["task_options"] == {"target": "kind"}
    http.delete(f"/v1/studies/{created.json()['id']}", headers=auth)


def test_autoloop_upload_then_submit_tunes_a_csv_task_on_the_workers(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_worker(processes=1)
    env = {**cluster.env, "AUTOLOOP_URL": cluster.url, "AUTOLOOP_TOKEN": cluster.token()}
    uploaded = subprocess.run([sys.executable, "-c", CLI, "upload", str(_pets(tmp_path))], env=env, capture_output=True, text=True, timeout=120)
    assert uploaded.returncode == 0 and uploaded.stdout.strip() == "pets.csv", uploaded.stderr[-2000:]
    small = ["--space", "artifact=one_function;batch_size=1", "--iterations", "1", "--seeds", "1", "--top-k", "1", "--final-seeds", "1"]
    argv = ["submit", "csv:pets", "--data", "pets.csv", "--target", "kind", "--optimizer", "local", *small]
    out = subprocess.run(
        [sys.executable, "-c", CLI, *argv, "--budget-iterations", "10", "--wait", "--json"],
        env=env, capture_output=True, text=True, timeout=600,  # generous: the machine may be shared
    )
    assert out.returncode == 0, out.stderr[-2000:]
    recommendation = json.loads(out.stdout)
    assert recommendation["metric"]["name"] == "accuracy" and recommendation["test"]["n"] >= 1  # one setting: seeds until the budget ends
    finished = [r for r in recommendation["runs"] if r["error"] is None]  # queued extras stop once the budget is spent
    assert finished and all(r["best_val"] == 1.0 for r in finished), recommendation["runs"]
    assert recommendation["test"]["mean"] == 1.0, recommendation["test"]  # the sound names the kind; guessing gets 0.25
