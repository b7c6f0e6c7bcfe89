"""The tabular benchmark: record a toy grid, replay every strategy, charge what each consumed."""

from __future__ import annotations

import json

from benchmarks.tabular import record, replay
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._strategies import ControllerConfig, controller
from benchmarks.tabular._table import load


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
    for name in ("random pick (zero cost)", "paper (full grid, best val)", "random search", "optuna TPE", "controller racing",
                 "controller hyperband", "P(correct) 10%", "regret 100%"):
        assert name in out


def test_replay_json_has_every_figure_per_task_strategy_and_level(tmp_path, capsys):
    path = _table(tmp_path)
    capsys.readouterr()
    assert replay.main(["--table", str(path), "--reps", "2", "--strategies", "racing", "--workers", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["counting:linear"]
    assert "lower_bound_share_of_grid" in data
    for level in ("10%", "25%", "50%", "100%"):
        figures = data["strategies"]["controller racing"][level]
        assert 0 <= figures["p_correct"] <= 1 and figures["regret"] >= 0
        assert data["strategies"]["random pick (zero cost)"][level]["no_difference_right"] is None
    assert data["strategies"]["controller racing"]["100%"]["no_difference_right"] is not None
