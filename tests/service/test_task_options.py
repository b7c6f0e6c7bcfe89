"""Task options through the service: the client sends them, the study checks them against the data
at submission (an unknown column is refused with the columns the CSV has) and keeps them in its jobs."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import autoloop
from autoloop.cli import build_parser
from autoloop.cli._run import given_task_options
from autoloop.redisdb import EmbeddedRedis
from autoloop.service import create_app, create_token
from autoloop.service._runner import StudyRunner

pytestmark = pytest.mark.integration


def test_the_client_sends_task_options_and_a_data_file() -> None:
    sent: list[dict] = []

    def reply(http_request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(http_request.content))
        return httpx.Response(201, json={"id": "s1"})

    with autoloop.Client("http://service", "token") as client:
        client._http = httpx.Client(base_url=client.url, transport=httpx.MockTransport(reply))
        client.submit("csv:pets", data_dir="/data/pets.csv", task_options={"target": "kind"})
        client.submit("toy:linear")
    assert (sent[0]["data_dir"], sent[0]["task_options"]) == ("/data/pets.csv", {"target": "kind"})
    assert sent[1]["task_options"] == {}


@pytest.mark.parametrize("command", ["run", "tune", "submit"])
def test_every_command_takes_the_same_task_options(command: str) -> None:
    args = build_parser().parse_args([command, "csv:pets", "--data", "pets.csv", "--target", "kind", "--task-option", "metric=accuracy"])
    assert (args.data, given_task_options(args)) == ("pets.csv", {"metric": "accuracy", "target": "kind"})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    """The app with a real study runner on an embedded Redis, a token and a small CSV."""
    csv = tmp_path / "pets.csv"
    pd.DataFrame({"legs": [4, 2, 4, 0] * 10, "kind": ["dog", "bird", "cat", "fish"] * 10}).to_csv(csv, index=False)
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        runner = StudyRunner(client, server.url)
        with TestClient(create_app(client, runner)) as http:
            yield http, {"Authorization": f"Bearer {create_token(client, 'test')}"}, csv
        runner.shutdown()


def test_a_study_checks_its_task_options_against_the_data_at_submission(served: tuple[TestClient, dict[str, str], Path]) -> None:
    http, auth, csv = served
    body = {"task": "csv:pets", "data_dir": str(csv), "optimizer": "local"}
    wrong = http.post("/v1/studies", json={**body, "task_options": {"target": "species"}}, headers=auth)
    assert wrong.status_code == 422 and "no column 'species'" in wrong.json()["detail"] and "legs, kind" in wrong.json()["detail"]
    missing = http.post("/v1/studies", json={**body, "data_dir": str(csv.with_name("cats.csv")), "task_options": {"target": "kind"}}, headers=auth)
    assert missing.status_code == 422 and "cats.csv does not exist" in missing.json()["detail"]
    created = http.post("/v1/studies", json={**body, "task_options": {"target": "kind"}}, headers=auth)
    assert created.status_code == 201, created.json()
    assert created.json()["progress"]["metric"] == "accuracy"  # inferred from the target at submission
    assert created.json()["request"]["task_options"] == {"target": "kind"}
    http.delete(f"/v1/studies/{created.json()['id']}", headers=auth)
