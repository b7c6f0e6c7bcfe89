"""Checks at submission: a study that cannot run is refused with 422 naming the request's field;
the plan a study runs is the one `tune`, `submit` and the client resolve."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import autoloop
from autoloop.cli import build_parser, main
from autoloop.cli._tune import study_plan
from autoloop.redisdb import EmbeddedRedis
from autoloop.service import OperatorSettings, create_app, create_token
from autoloop.service._runner import StudyRunner
from tests.service.conftest import Cluster

pytestmark = pytest.mark.integration


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_data: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app with a real study runner on an embedded Redis (no workers), no LLM endpoint of its own,
    sharing the test's folder and the shared data with its tenants."""
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "AUTOLOOP_LLM_BASE_URL", "AUTOLOOP_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        settings = OperatorSettings(home=Path(home), data_roots=(tmp_path.resolve(), shared_data.resolve()))
        runner = StudyRunner(client, server.url, settings=settings)
        with TestClient(create_app(client, runner)) as http:
            http.app.state.redis = client  # type: ignore[attr-defined]
            yield http, {"Authorization": f"Bearer {create_token(client, 'test')}"}


def _refused(service: tuple[TestClient, dict[str, str]], body: dict) -> str:
    http, auth = service
    response = http.post("/v1/studies", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert not http.app.state.redis.keys("*secret*")  # type: ignore[attr-defined] - a refused study leaves no key behind
    return response.json()["detail"]


def test_a_budget_that_cannot_pay_for_one_round_is_refused_in_api_field_names(service, shared_data: Path):
    body = {"task": "mlpipeline:spaceship-titanic", "data_dir": str(shared_data / "mlagentbench"), "optimizer": "local"}
    assert _refused(service, {**body, "budget": {"iterations": 30}}) == (
        "budget.iterations 30 is too small for preset standard (needs >= 36: one round of halving is 6 runs x 6 iterations); "
        "use preset=quick or budget.iterations=36"
    )
    detail = _refused(service, {**body, "budget": {"iterations": 40}, "strategy": "tpe", "seeds": 3})
    assert detail.endswith("use preset=quick or budget.iterations=54") and "--" not in detail


def test_missing_data_is_refused_without_echoing_the_folder(service, tmp_path: Path):
    detail = _refused(service, {"task": "mlpipeline:house-prices", "data_dir": str(tmp_path), "optimizer": "local", "llm": {"api_key": "k"}})
    assert detail.startswith("data_dir: the task cannot load its data: house_prices_train.csv not found (looked in data_dir/")
    assert str(tmp_path) not in detail
    assert _refused(service, {"task": "atari:Pong", "data_dir": str(tmp_path)}) == "data_dir: this task reads no data; leave data_dir out"


def test_an_optimizer_that_cannot_run_is_refused_by_field(service):
    assert _refused(service, {"task": "toy:linear", "optimizer": "gpt"}) == (
        "optimizer: no such optimizer on this service; choose one of llm, local"
    )
    assert _refused(service, {"task": "toy:linear", "optimizer": "llm"}).startswith(
        "optimizer: llm needs an LLM endpoint and this service has none configured; set llm.base_url"
    )


def test_a_bad_space_or_preset_is_refused_by_field(service):
    assert _refused(service, {"task": "toy:linear", "space": "colour=red"}).startswith("space: unknown search knob")
    assert _refused(service, {"task": "toy:linear", "preset": "huge"}).startswith("preset: Value error, unknown preset; choose one of quick")


def test_submit_the_client_and_tune_run_the_same_plan(shared_cluster: Cluster, capsys: pytest.CaptureFixture[str]):
    token = shared_cluster.token()
    flags = ["--preset", "quick", "--seeds", "2", "--strategy", "tpe"]
    code = main(["submit", "slowtoy:linear", "--optimizer", "local", *flags, "--url", shared_cluster.url, "--token", token, "--json"])
    assert code == 0
    submitted = json.loads(capsys.readouterr().out)["id"]
    with autoloop.Client(shared_cluster.url, token) as client:
        from_client = client.submit("slowtoy:linear", optimizer="local", preset="quick", seeds=2, strategy="tpe")
        plans = [client.study(s).status()["plan"] for s in (submitted, from_client.id)]
        defaults = client.submit("slowtoy:linear", optimizer="local").status()
    tune = study_plan(build_parser().parse_args(["tune", "slowtoy:linear", *flags])).to_dict()
    assert plans == [tune, tune] and tune["preset"] == "quick" and tune["overrides"] == ["seeds", "strategy"]
    assert defaults["plan"] == study_plan(build_parser().parse_args(["tune", "slowtoy:linear"])).to_dict()
    assert defaults["progress"]["iteration_budget"] == defaults["plan"]["budget_iterations"]
