"""The controller replayed on fluctuating-curve tables: its regret does not rise with the budget,
and where validation noise differs by setting (scenarios B and C) it picks better than random
search and TPE.

A small, seeded copy of the README's replay (``benchmarks/tabular/README.md``, "Controller
replay on the fluctuating tables"): the default strategy (``auto``, which is ``halving`` for a
12-setting space), random search and TPE on the same repetitions, each a freshly drawn table,
compared on the paired differences of their regrets. Both claims are about the statistic the
controller ranks by (each run's re-validation, paired by seed), measured against the tables'
known truth. 32 repetitions per scenario: at 20 (runs of 10 iterations) the difference from random search in C is
within twice its error for some seeds (the README's run has 40). Seeds 5, 6 and 7 all pass,
with the smallest margin 2.4, 3.9 and 3.6 standard errors. Two worker processes: 13 s on 2
cores at load average 2, up to a minute when the machine is shared (load 6.5).
"""

from __future__ import annotations

import pytest

from autoloop.controller import DEFAULT_STRATEGY, SearchSpace, resolve_strategy
from benchmarks.tabular import fluctuating, replay
from benchmarks.tabular._strategies import ControllerConfig
from benchmarks.tabular._table import from_rows

REPS = 32
SEEDS = 40  # 20 search seeds per setting, as in the README's replay
ITERATIONS = 4  # the README's runs have 10; shorter runs replay faster and fluctuate the same way
SEED = 7


@pytest.fixture(scope="module")
def results():
    tables: replay.Tables = {}
    for name in ("B", "C"):
        for rep in range(REPS):
            rows = fluctuating.generate(fluctuating.SCENARIOS[name], seeds=SEEDS, seed=SEED * 1000 + rep, iterations=ITERATIONS)
            for task, table in from_rows(rows).items():
                tables.setdefault(task, []).append(table)
    space = SearchSpace(next(iter(tables.values()))[0].space())
    default = ControllerConfig(sampler=resolve_strategy(DEFAULT_STRATEGY, space), pruner="hyperband")
    assert default.sampler == "halving"
    return replay.replay(tables, REPS, [default], SEED, workers=2), default.label


@pytest.mark.parametrize("task", ["fluctuating:B", "fluctuating:C"])
def test_regret_does_not_rise_with_the_budget(results, task):
    per, default = results[0][task], results[1]
    steps = replay.budget_steps(per[default])
    for step in ("50% - 25%", "100% - 50%"):
        d = steps[step]
        assert d.diff - 2 * d.se <= 0, (step, str(d))


@pytest.mark.parametrize("task", ["fluctuating:B", "fluctuating:C"])
def test_the_default_strategy_picks_better_than_random_search_and_tpe(results, task):
    per, default = results[0][task], results[1]
    minus = replay.baselines(per, default)
    for baseline in ("random search S=2", "optuna TPE S=2"):
        for level in ("50%", "100%"):
            d = minus[baseline][level]
            assert d.diff + 2 * d.se < 0, (baseline, level, str(d))
