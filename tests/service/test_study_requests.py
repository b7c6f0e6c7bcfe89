"""Study requests: sampler and pruner names and defaults from the registries, the metric stored at creation."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import optuna
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

import autoloop
from autoloop.cli import build_parser
from autoloop.controller import DEFAULT_PRUNER, DEFAULT_STRATEGY, _pruners, register_pruner
from autoloop.redisdb import EmbeddedRedis
from autoloop.service import create_app, create_token
from autoloop.service._models import StudyCreate


@pytest.fixture
def _fresh_pruners(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pruners, "_FACTORIES", dict(_pruners._FACTORIES))


def test_tune_the_api_and_the_client_share_one_set_of_defaults():
    tune = build_parser().parse_args(["tune", "toy:linear"])
    request = StudyCreate(task="toy:linear")
    assert (tune.sampler, tune.pruner) == (request.sampler, request.pruner) == (DEFAULT_STRATEGY, DEFAULT_PRUNER) == ("auto", "hyperband")
    assert tune.confidence is None and request.confidence is None  # fixed budget unless asked
    sent: list[dict] = []

    def reply(http_request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(http_request.content))
        return httpx.Response(201, json={"id": "s1"})

    with autoloop.Client("http://service", "token") as client:
        client._http = httpx.Client(base_url=client.url, transport=httpx.MockTransport(reply))
        client.submit("toy:linear")
        client.submit("toy:linear", sampler="random", pruner="sha")
    assert "sampler" not in sent[0] and "pruner" not in sent[0]  # the service's defaults apply
    assert (sent[1]["sampler"], sent[1]["pruner"]) == ("random", "sha")


@pytest.mark.usefixtures("_fresh_pruners")
def test_the_openapi_schema_lists_the_registered_names_plug_ins_included():
    register_pruner("plugin-nop", lambda *, iterations, min_resource: optuna.pruners.NopPruner())
    schema = create_app(None).openapi()["components"]["schemas"]["StudyCreate"]["properties"]  # type: ignore[arg-type]
    assert schema["pruner"]["enum"] == ["hyperband", "sha", "wilcoxon", "none", "plugin-nop"]
    assert schema["pruner"]["default"] == DEFAULT_PRUNER
    assert schema["sampler"]["enum"] == ["auto", "racing", "ttts", "tpe", "random", "grid"]
    assert schema["sampler"]["default"] == "auto"
    assert StudyCreate(task="toy:linear", pruner="plugin-nop").pruner == "plugin-nop"


def test_an_unknown_name_is_rejected_with_the_registered_ones():
    with pytest.raises(ValidationError, match="unknown pruner 'asha'; choose one of hyperband, sha, wilcoxon, none"):
        StudyCreate(task="toy:linear", pruner="asha")
    with pytest.raises(ValidationError, match="unknown sampler 'cmaes'; choose one of auto, racing, ttts, tpe, random, grid"):
        StudyCreate(task="toy:linear", sampler="cmaes")


@pytest.fixture
def api() -> Iterator[tuple[TestClient, str]]:
    """The API alone (no runner: studies stay queued) on an embedded Redis, and a token."""
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        with TestClient(create_app(client)) as http:
            yield http, create_token(client, "test")


@pytest.mark.integration
def test_the_metric_is_known_from_creation_and_unknown_tasks_are_404(api: tuple[TestClient, str]):
    http, token = api
    auth = {"Authorization": f"Bearer {token}"}
    created = http.post("/v1/studies", json={"task": "mlpipeline:house-prices"}, headers=auth)
    assert created.status_code == 201
    assert created.json()["progress"]["metric"] == "rmse_log"  # before any controller or data
    assert created.json()["request"]["pruner"] == DEFAULT_PRUNER
    missing = http.post("/v1/studies", json={"task": "toy:quadratic"}, headers=auth)
    assert missing.status_code == 404 and "toy:linear" in missing.json()["detail"]
    tasks = {t["task"]: t for t in http.get("/v1/tasks").json()}
    assert tasks["mlpipeline:house-prices"]["metric"] == "rmse_log"
    assert tasks["mlpipeline:house-prices"]["higher_is_better"] is False
