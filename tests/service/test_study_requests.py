"""Study requests: strategy and pruner names and defaults from the registries, the metric stored at creation."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from autoloop.cli import build_parser
from autoloop.cli._tune import study_plan
from autoloop.controller import DEFAULT_PRESET, DEFAULT_PRUNER, DEFAULT_STRATEGY, PRESETS, StudyPlan, _pruners, register_pruner
from autoloop.redisdb import EmbeddedRedis
from autoloop.service import create_app, create_token
from autoloop.service._models import StudyCreate
from tests.service.conftest import submissions


@pytest.fixture
def _fresh_pruners(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pruners.PRUNERS, "factories", dict(_pruners.PRUNERS.factories))


def test_tune_the_api_and_the_client_resolve_one_plan_from_the_same_preset():
    tune = study_plan(build_parser().parse_args(["tune", "toy:linear"]))
    request = StudyCreate(task="toy:linear")
    assert tune == request.plan() == StudyPlan.resolve() == PRESETS[DEFAULT_PRESET]
    assert (tune.strategy, tune.pruner) == (DEFAULT_STRATEGY, DEFAULT_PRUNER) == ("auto", "hyperband")
    assert tune.confidence is None  # fixed budget unless asked
    overrides = ["--preset", "quick", "--seeds", "2", "--strategy", "tpe"]
    assert study_plan(build_parser().parse_args(["tune", "toy:linear", *overrides])) == StudyPlan.resolve("quick", seeds=2, strategy="tpe")
    with submissions() as (client, sent):
        client.submit("toy:linear")
        client.submit("toy:linear", preset="quick", seeds=2, strategy="tpe")
    plan_fields = {"preset", "iterations", "seeds", "top_k", "final_seeds", "strategy", "pruner", "val_interval", "patience", "memory"}
    assert not plan_fields & set(sent[0])  # the service's defaults apply
    assert sent[0]["budget"] == {"iterations": None, "tokens": None, "dollars": None}
    assert StudyCreate.model_validate(sent[1]).plan() == StudyPlan.resolve("quick", seeds=2, strategy="tpe")


@pytest.mark.usefixtures("_fresh_pruners")
def test_the_openapi_schema_lists_the_registered_names_plug_ins_included():
    register_pruner("plugin-nop", lambda *, iterations, min_resource: optuna.pruners.NopPruner())
    schema = create_app(None).openapi()["components"]["schemas"]["StudyCreate"]["properties"]  # type: ignore[arg-type]
    assert schema["pruner"]["enum"] == ["hyperband", "sha", "wilcoxon", "none", "plugin-nop"]
    assert schema["strategy"]["enum"] == ["auto", "halving", "racing", "ttts", "tpe", "random", "grid"]
    assert schema["preset"]["enum"] == ["quick", "standard", "thorough"]
    assert StudyCreate(task="toy:linear", pruner="plugin-nop").pruner == "plugin-nop"


def test_an_unknown_name_is_rejected_with_the_registered_ones():
    with pytest.raises(ValidationError, match="unknown pruner 'asha'; choose one of hyperband, sha, wilcoxon, none"):
        StudyCreate(task="toy:linear", pruner="asha")
    with pytest.raises(ValidationError, match="unknown strategy 'cmaes'; choose one of auto, halving, racing, ttts, tpe, random, grid"):
        StudyCreate(task="toy:linear", strategy="cmaes")


@pytest.fixture
def api() -> Iterator[tuple[TestClient, str]]:
    """The API alone (no runner: studies stay queued) on an embedded Redis, and a token."""
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        with TestClient(create_app(client)) as http:
            yield http, create_token(client, "test")


@pytest.mark.integration
def test_the_metric_and_plan_are_known_from_creation_and_unknown_tasks_are_422(api: tuple[TestClient, str]):
    http, token = api
    auth = {"Authorization": f"Bearer {token}"}
    created = http.post("/v1/studies", json={"task": "mlpipeline:house-prices"}, headers=auth)
    assert created.status_code == 201
    assert created.json()["progress"]["metric"] == "rmse_log"  # before any controller or data
    assert created.json()["plan"] == StudyPlan.resolve().to_dict()
    assert created.json()["progress"]["iteration_budget"] == PRESETS[DEFAULT_PRESET].budget_iterations
    assert created.json()["request"]["pruner"] is None  # as sent; the plan says what runs
    missing = http.post("/v1/studies", json={"task": "toy:quadratic"}, headers=auth)
    assert missing.status_code == 422
    assert missing.json()["detail"].startswith("task: this service knows no such task; known tasks:")
    assert "toy:linear" in missing.json()["detail"] and "quadratic" not in missing.json()["detail"]
    tasks = {t["task"]: t for t in http.get("/v1/tasks").json()}
    assert tasks["mlpipeline:house-prices"]["metric"] == "rmse_log"
    assert tasks["mlpipeline:house-prices"]["higher_is_better"] is False


def test_the_old_field_sampler_still_names_the_strategy_for_one_release():
    with pytest.warns(DeprecationWarning, match="'sampler' is now 'strategy'"):
        assert StudyCreate(task="toy:linear", sampler="tpe").plan().strategy == "tpe"
    assert StudyPlan.from_dict({**StudyPlan.resolve().to_dict(), "sampler": "racing", "overrides": ["sampler"]}).overrides == ("strategy",)
