"""The API's money: ``POST /v1/studies?dry_run=true`` estimates without storing or running; ``budget.dollars``
needs every model priced (``prices``) and is refused by field otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.test_admission import service  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def test_a_dry_run_returns_the_estimate_and_stores_nothing(service, shared_data: Path, monkeypatch):
    http, auth = service
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # the operator's endpoint: never called by a dry run
    body = {
        "task": "mlpipeline:spaceship-titanic", "data_dir": str(shared_data / "mlagentbench"), "llm": {"model": "gpt-4o-mini"},
        "prices": {"gpt-4o-mini": [0.15, 0.6]}, "budget": {"dollars": 5},
    }
    response = http.post("/v1/studies", params={"dry_run": "true"}, json=body, headers=auth)
    assert response.status_code == 200, response.text
    estimate = response.json()["estimate"]
    assert {"runs", "iterations", "llm_calls", "tokens", "dollars", "seconds"} <= set(estimate)
    assert estimate["prices"]["optimizer"]["source"] == "prices" and 0 < estimate["dollars"] <= 5 + estimate["dollars"] / estimate["runs"]
    assert response.json()["plan"]["preset"] == "standard"
    assert not http.get("/v1/studies", headers=auth).json()["studies"]
    assert not http.app.state.redis.keys("*secret*")  # type: ignore[attr-defined]


def test_a_dollar_budget_with_an_unpriced_model_is_refused_naming_prices(service, monkeypatch):
    http, auth = service
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm.example.com/v1")  # the operator's endpoint: not checked, never called
    body = {"task": "toy:linear", "llm": {"model": "no-such-model"}, "budget": {"dollars": 1}}
    for params in ({"dry_run": "true"}, {}):
        response = http.post("/v1/studies", params=params, json=body, headers=auth)
        assert response.status_code == 422, response.text
        assert '"prices": {"no-such-model": [IN, OUT]}' in response.json()["detail"]


def test_a_created_study_keeps_its_estimate_in_its_status(service):
    http, auth = service
    response = http.post("/v1/studies", json={"task": "toy:linear", "optimizer": "local", "budget": {"iterations": 60}}, headers=auth)
    assert response.status_code == 201, response.text
    status = http.get(f"/v1/studies/{response.json()['id']}", headers=auth).json()
    assert status["estimate"]["iterations"] <= 60 and status["estimate"]["dollars"] == 0.0  # the local optimizer calls no LLM
    assert status["estimate"]["prices"]["optimizer"]["source"] == "no LLM (local optimizer)"
