"""Every registered search strategy passes ``StrategyContract`` on a synthetic table, replayed by
``benchmarks.tabular``'s ``TableExecutor``; so does a plug-in strategy written in a few lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autoloop.controller import (
    FINAL_SEED_BASE,
    Outcome,
    Proposal,
    SearchSpace,
    SearchStrategy,
    StopReason,
    StrategyContext,
    StudyPlan,
    _strategy,
    register_strategy,
    strategy_names,
)
from autoloop.executors import RunTemplate
from autoloop.llm import Endpoint, LLMConfig
from autoloop.tasks import Metric, TaskInfo
from autoloop.testing.strategies import StrategyCase, StrategyContract
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._table import KNOBS, from_rows
from benchmarks.tabular.synthetic import generate


class Sweep(SearchStrategy):
    """A plug-in strategy: every setting once on seed 0, in the grid's order."""

    def __init__(self, context: StrategyContext) -> None:
        self.grid, self.size, self.told = context.space.grid(), context.space.size, set()

    def ask(self) -> Proposal | None:
        return Proposal(self.grid.pop(0), (0,)) if self.grid else None

    def tell(self, outcome: Outcome) -> None:
        self.told.add(tuple(sorted(outcome.settings.items())))

    def stop_reason(self) -> StopReason | None:
        return StopReason.SPACE if len(self.told) == self.size else None


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
