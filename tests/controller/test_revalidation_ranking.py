"""Ranking runs by re-validation: the fluctuating-curve generator, its consistency, and the replay's use of it.

The statistics are tested as such: shares over many seeded simulated studies (the full grid of
``benchmarks.tabular.consistency``; 1,000 studies per cell, about 10 s), not single runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.tabular import consistency, fluctuating
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._strategies import paper_grid
from benchmarks.tabular._table import from_rows


@pytest.fixture(scope="module")
def grid():
    return consistency.grid(studies=1000)


@pytest.mark.parametrize("scenario", ["A", "B", "C"])
def test_ranking_by_revalidation_is_consistent_where_runs_fluctuate(grid, scenario):
    cells = {n: grid[scenario][n]["revalidation"] for n in consistency.SEEDS}
    assert cells[8].p_exact >= 0.60 and cells[32].p_exact >= 0.78, cells
    assert cells[32].regret <= cells[4].regret / 2, cells


def test_best_validation_is_not_consistent_when_noise_differs_by_setting(grid):
    # It overrates the noisily validated settings, by the same amount at every seed count.
    for scenario in ("B", "C"):
        assert all(grid[scenario][n]["best validation"].p_exact < 0.1 for n in consistency.SEEDS)


def test_on_smooth_curves_revalidation_ranks_as_well_as_best_validation(grid):
    for n in consistency.SEEDS:
        cells = grid["D"][n]
        assert abs(cells["revalidation"].p_exact - cells["best validation"].p_exact) <= 0.02, (n, cells)
        assert abs(cells["revalidation"].regret - cells["best validation"].regret) <= 0.02, (n, cells)


def test_generated_rows_return_the_best_by_validation_artifact_and_know_its_expected_quality():
    rows = fluctuating.generate(fluctuating.SCENARIOS["C"], seeds=400, seed=3)
    table = from_rows(rows)["fluctuating:C"]
    assert len(table.settings) == fluctuating.SETTINGS and table.seeds == 400 and table.iterations == fluctuating.ITERATIONS
    for row in rows[:20]:
        chosen = row["test_curve"][0][0]
        assert row["best_val"] == max(v for _, v in row["curve"]) == row["curve"][chosen][1]
    # Paired by seed (the shared effect cancels), the mean revalidation difference from setting 0
    # estimates the difference of the known expected qualities, within 4 standard errors.
    by_setting = {k: np.array([r["revalidation"] for r in rows if r["run_id"].startswith(f"fluctuating:C-{k}-")]) for k in range(12)}
    for k in (1, 5, 11):
        d = by_setting[0] - by_setting[k]
        assert abs(d.mean() - k * fluctuating.GAP) < 4 * d.std(ddof=1) / np.sqrt(len(d)), k


def _two_settings(best_val_prefers_first: bool) -> list[dict]:
    rows = []
    for i, batch in enumerate((1, 2)):
        for s in range(2):
            val = 0.9 if (i == 0) == best_val_prefers_first else 0.5
            rows.append({
                "run_id": f"t-{i}-{s}", "task": "t:x", "setting": {"starting_artifact": "a", "credit_horizon": 1, "batch_size": batch},
                "seed": s, "curve": [[0, 0.1], [1, val], [2, val]], "test": 0.0, "test_curve": [], "revalidation": 0.2 + 0.5 * i,
            })
    return rows


def test_the_replay_ranks_by_revalidation_when_the_table_has_it():
    table = from_rows(_two_settings(best_val_prefers_first=True))["t:x"]
    assert paper_grid(table, np.random.default_rng(0), [0, 1]).at(10**6) == ("a", 1, 2)  # revalidation's choice
    legacy = from_rows([{k: v for k, v in row.items() if k != "revalidation"} for row in _two_settings(True)])["t:x"]
    for by_best_val in (legacy, table.without_revalidation()):  # rows without it, or --rank-by best-val
        assert paper_grid(by_best_val, np.random.default_rng(0), [0, 1]).at(10**6) == ("a", 1, 1)  # best validation's
    assert (table.statistic, legacy.statistic) == ("re-validation", "best val")


def test_a_replayed_run_carries_its_revalidation_only_when_it_went_to_its_end():
    from tests.toy_task import local_job

    table = from_rows(_two_settings(best_val_prefers_first=True))["t:x"]
    for stop in (False, True):
        ex = TableExecutor(table, lambda seed: seed, parallel=1)
        ex.submit(local_job("r", "t:x", score_test=False, starting_artifact="a", credit_horizon=1, batch_size=2, iterations=2, seed=1))
        events = ex.events(0)
        if stop:
            ex.stop("r")
        events += [e for _ in range(3) for e in ex.events(0)]
        (done,) = [e for e in events if e.kind == "done"]
        assert done.result.revalidation == (None if stop else 0.7)
