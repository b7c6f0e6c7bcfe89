"""Every registered search strategy passes ``StrategyContract`` on a synthetic table, replayed by
``benchmarks.tabular``'s ``TableExecutor``; so does a plug-in strategy written in a few lines
(``tests/contracts/sweep.py``), which also runs through ``autoloop tune``, the API and the client."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import autoloop
from autoloop.cli import main
from autoloop.controller import FINAL_SEED_BASE, SearchSpace, StudyPlan, _strategy, register_strategy, strategy_names
from autoloop.executors import RunTemplate
from autoloop.llm import Endpoint, LLMConfig
from autoloop.tasks import Metric, TaskInfo
from autoloop.testing.strategies import StrategyCase, StrategyContract
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._table import KNOBS, from_rows
from benchmarks.tabular.synthetic import generate
from tests.contracts.sweep import Sweep
from tests.service.conftest import Cluster


@pytest.fixture(scope="module", autouse=True)
def _sweep_registered() -> Iterator[None]:
    """``sweep`` is registered for this module only."""
    before = dict(_strategy.STRATEGIES.factories)
    register_strategy("sweep", Sweep)
    yield
    _strategy.STRATEGIES.factories.clear()
    _strategy.STRATEGIES.factories.update(before)


TABLE = from_rows(generate(1.0, settings=8, seeds=12))["synthetic:gap1"]


def table_case(strategy: str) -> StrategyCase:
    """A study of the synthetic table (8 settings, 12 recorded seeds: 6 search, 6 re-check)."""
    space = TABLE.space()
    template = RunTemplate(task=TABLE.task, data_dir=None, task_options={}, optimizer="table", endpoint=Endpoint.of(LLMConfig()))
    return StrategyCase(
        strategy,
        executor=lambda: TableExecutor(TABLE, lambda s: s if s < FINAL_SEED_BASE else 6 + s - FINAL_SEED_BASE, parallel=2),
        template=template, info=TaskInfo(*(tuple(space[k]) for k in KNOBS), Metric("score")), space=SearchSpace(space),
        budget=200, plan=StudyPlan.resolve(iterations=TABLE.iterations),
    )


class TestEveryStrategy(StrategyContract):
    @pytest.fixture(params=[*strategy_names()[1:], "sweep"])  # every registered strategy, and the plug-in
    def strategy_case(self, request: pytest.FixtureRequest) -> StrategyCase:
        return table_case(request.param)


def test_the_plug_in_runs_through_autoloop_tune(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tune", "toy:linear", "--jobs", "0", "--strategy", "sweep", "--budget-iterations", "40", "--iterations", "2", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["strategy"], data["stop_reason"], data["plan"]["strategy"]) == ("sweep", "space", "sweep")
    assert sorted(r["settings"]["batch_size"] for r in data["runs"]) == [1, 2]


def test_the_plug_in_runs_through_the_api_and_the_client() -> None:
    home = Path(tempfile.mkdtemp(prefix="al-"))
    cluster = Cluster(home)
    cluster.env["AUTOLOOP_PLUGINS"] += ",tests.contracts.plugin_strategy"  # the service registers `sweep` at start
    try:
        cluster.start_service()
        cluster.start_worker(processes=1)
        assert "sweep" in httpx.get(f"{cluster.url}/openapi.json").json()["components"]["schemas"]["StudyCreate"]["properties"]["strategy"]["enum"]
        with autoloop.Client(cluster.url, cluster.token()) as client:
            study = client.submit("slowtoy:linear", strategy="sweep", budget_iterations=20, iterations=2, optimizer="local", parallel=2)
            assert study.wait(progress=False, poll_s=0.3, timeout_s=120)["state"] == "finished"
            rec = study.recommendation()
        assert (rec["strategy"], rec["stop_reason"]) == ("sweep", "space")
        assert sorted(r["settings"]["batch_size"] for r in rec["runs"]) == [1, 2]
    finally:
        cluster.close()
        shutil.rmtree(home, ignore_errors=True)
