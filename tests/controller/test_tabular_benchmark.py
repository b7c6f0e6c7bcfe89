"""The tabular benchmark: record a toy grid, replay every strategy, charge what each consumed."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from benchmarks.tabular import record, replay
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._strategies import ControllerConfig, controller
from benchmarks.tabular._table import from_rows, load
from benchmarks.tabular.synthetic import generate


def _table(tmp_path):
    path = tmp_path / "table.jsonl"
    code = record.main([
        "--tasks", "counting:linear", "--seeds", "4", "--iterations", "4", "--jobs", "0",
        "--space", "batch_size=1,2,3,4", "--out", str(path),
    ])
    assert code == 0
    return path


def test_replayed_controller_is_charged_the_iterations_it_consumed(tmp_path):
    table = load(_table(tmp_path))["counting:linear"]
    assert len(table.settings) == 4 and table.seeds == 4 and table.iterations == 4
    config = ControllerConfig(seeds=1, top_k=2, final_seeds=2)
    setting, consumed, _, _ = controller(table, 0, 40, config, [0, 1, 2, 3])
    assert setting in table.runs
    assert config.minimum_budget(4) <= consumed <= 40


def test_table_executor_stops_a_run_at_its_next_iteration(tmp_path):
    from tests.toy_task import local_job

    table = load(_table(tmp_path))["counting:linear"]
    ex = TableExecutor(table, lambda seed: seed, parallel=1)
    ex.submit(local_job("x", "counting:linear", score_test=False, credit_horizon=1, batch_size=2, iterations=4, seed=1))
    assert [e.kind for e in ex.events(0)] == ["progress"]
    ex.stop("x")
    (done,) = ex.events(0)
    assert done.kind == "done" and done.result.iterations == 1 and done.result.test is None
    assert ex.consumed == 1


def test_replay_prints_the_side_by_side_table(tmp_path, capsys):
    path = _table(tmp_path)
    capsys.readouterr()
    assert replay.main(["--table", str(path), "--reps", "2", "--strategies", "racing,tpe", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("random pick (zero cost)", "paper (full grid, re-validation)", "random search", "optuna TPE", "controller racing",
                 "controller hyperband", "P(correct) 10%", "regret 100%"):
        assert name in out
    paired = out.split("controller racing minus each baseline")[1]  # the first strategy is the default
    assert re.search(r"random search S=2 +[+-]\d\.\d{3}±\d\.\d{3} (below|tie|above)", paired)


def test_replay_json_has_every_figure_per_task_strategy_and_level(tmp_path, capsys):
    path = _table(tmp_path)
    capsys.readouterr()
    saved = tmp_path / "figures.json"
    assert replay.main(["--table", str(path), "--reps", "2", "--strategies", "halving", "--workers", "1", "--json", "--save", str(saved)]) == 0
    data = json.loads(capsys.readouterr().out)["counting:linear"]
    assert json.loads(saved.read_text())["counting:linear"] == data
    assert "lower_bound_share_of_grid" in data
    for level in ("10%", "25%", "50%", "100%"):
        figures = data["strategies"]["controller halving"][level]
        assert 0 <= figures["p_correct"] <= 1 and figures["regret"] >= 0
        assert data["strategies"]["random pick (zero cost)"][level]["no_difference_right"] is None
    assert data["strategies"]["controller halving"]["100%"]["no_difference_right"] is not None
    assert data["default"] == "controller halving"
    for baseline in ("random pick (zero cost)", "random search S=2", "optuna TPE S=2"):
        assert set(data["default_minus"][baseline]) == {"10%", "25%", "50%", "100%"}
        assert data["default_minus"][baseline]["100%"]["se"] is not None


def _rows(task: str, values: dict[int, tuple[float, ...]]) -> list[dict]:
    """Rows of a toy table: batch size b has validation = test = values[b][seed]."""
    setting = {"starting_artifact": "one_function", "credit_horizon": 1}
    return [
        {"task": task, "setting": {**setting, "batch_size": b}, "seed": s, "curve": [[0, v], [1, v]], "test": v, "test_curve": []}
        for b, per_seed in values.items() for s, v in enumerate(per_seed)
    ]


def test_luck_is_scored_by_its_expectation_and_synthetic_regret_by_the_known_means():
    flat = from_rows(generate(0.0, settings=4, seeds=6))["synthetic:gap0"]
    truth = replay.Truth.of(flat, [3, 4, 5])
    assert truth.tie and {truth.regret(s) for s in flat.settings} == {0.0}  # all equal: any pick is right
    table = from_rows(_rows("toy", {1: (1.0, 1.0), 2: (0.0, 0.0), 3: (0.5, 0.5)}))["toy"]
    score = replay.Score()
    score.add_luck(replay.Truth.of(table, [1]))
    assert score.to_dict()["regret"] == 0.5 and score.to_dict()["p_correct"] == 1 / 3


def test_few_seed_tables_weigh_every_split_equally():
    table = from_rows(_rows("toy", {1: (1.0, 2.0, 3.0), 2: (3.0, 2.0, 1.0)}))["toy"]
    rng = np.random.default_rng(0)
    truths = [replay.split(table, rep, 6, rng)[1] for rep in range(6)]
    assert sorted(t for (t,) in truths) == [0, 0, 1, 1, 2, 2]


def test_foresight_shows_when_the_search_seeds_foretell_the_truth_backwards():
    # Equal overall means: whatever looks best on two seeds is the worst on the third.
    closed = from_rows(_rows("toy", {1: (3.0, 0.0, 0.0), 2: (0.0, 3.0, 0.0), 3: (0.0, 0.0, 3.0)}))["toy"]
    assert replay.foresight(closed) == pytest.approx(-1.0)
    assert replay.foresight(from_rows(generate(2.0, settings=4, seeds=6))["synthetic:gap2"]) > 0.9


def test_a_table_with_many_seeds_splits_without_listing_every_split():
    table = from_rows(generate(1.0))["synthetic:gap1"]  # 40 seeds: 1.4e11 ways to choose 20
    search, truth = replay.split(table, 0, 60, np.random.default_rng(0))
    assert len(search) == len(truth) == 20 and not set(search) & set(truth)
    assert replay.foresight(table) > 0.9
