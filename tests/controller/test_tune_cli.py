"""``autoloop tune``: JSON with every Recommendation field, the final table, suites, bad input."""

from __future__ import annotations

import json

from autoloop.cli import main


def test_tune_json_has_every_field_and_a_test_interval_from_three_fresh_seeds(capsys):
    code = main(["tune", "counting:linear", "--jobs", "0", "--budget-iterations", "120", "--iterations", "4", "--sampler", "tpe", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["test"]["n"] == 3 and data["validation"]["n"] == 3
    assert data["test"]["display"]["mean"] > 0  # abs error shown positive
    assert len(data["runners_up"]) == 2
    assert data["spent"]["iterations"] <= 120
    final_seeds = {r["settings"]["seed"] for r in data["runs"] if r["stage"] == "final"}
    search_seeds = {r["settings"]["seed"] for r in data["runs"] if r["stage"] == "search"}
    assert len(final_seeds) == 3 and not final_seeds & search_seeds


def test_tune_prints_a_table(capsys):
    code = main(["tune", "counting:linear", "--jobs", "0", "--budget-iterations", "60", "--iterations", "3", "--top-k", "1", "--seeds", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 (chosen)" in out and "test abs_error" in out and "meta-overfitting:" in out and "verdict (racing" in out


def test_suite_picks_one_setting_and_reports_per_task_optima(capsys):
    code = main([
        "tune", "--suite", "counting:linear,toy:linear", "--jobs", "0", "--budget-iterations", "240",
        "--iterations", "3", "--seeds", "2", "--top-k", "2", "--json",
    ])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["settings"]["batch_size"] in (1, 2)  # the shared space: toy has only 1 and 2
    assert [t["task"] for t in data["per_task"]] == ["counting:linear", "toy:linear"]
    assert set(data["tasks_where_optima_differ"]) <= {"counting:linear", "toy:linear"}
    assert all(t["suite_setting"]["settings"] == data["settings"] for t in data["per_task"])


def test_bad_space_is_an_error_with_a_hint(capsys):
    code = main(["tune", "counting:linear", "--jobs", "0", "--space", "colour=red"])
    assert code == 2
    assert "searchable:" in capsys.readouterr().err


def test_missing_data_stops_tune_before_any_run(capsys, tmp_path):
    code = main(["tune", "mlpipeline:house-prices", "--jobs", "2", "--data", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert "house_prices_train.csv not found" in captured.err and "loop run" not in captured.err


def test_suite_checks_every_tasks_data_up_front(capsys, tmp_path):
    code = main(["tune", "--suite", "counting:linear,mlpipeline:house-prices", "--jobs", "0", "--data", str(tmp_path)])
    assert code == 2
    assert "house_prices_train.csv not found" in capsys.readouterr().err
