"""``autoloop tune --warm-start``: a study started from past studies says so, and how much they counted."""

from __future__ import annotations

import json

from autoloop.cli import main

TUNE = ["tune", "counting:linear", "--jobs", "0", "--budget-iterations", "36", "--iterations", "3", "--json"]


def test_a_warm_started_study_reports_the_past_studies_it_started_from(capsys, tmp_path):
    assert main(TUNE) == 0
    past = tmp_path / "past.json"
    past.write_text(capsys.readouterr().out)
    assert main([*TUNE, "--warm-start", str(past), str(past)]) == 0
    data = json.loads(capsys.readouterr().out)
    warm = data["warm_start"]
    assert warm["studies"] == 2 and warm["same_task"] == 2 and warm["text"] == "started from 2 past studies (2 of this task)"
    assert "at most 0.75 run per setting" in warm["rule"]
    assert json.loads(past.read_text())["warm_start"] is None  # the cold study said so too


def test_warm_start_needs_a_best_arm_strategy_and_one_task(capsys, tmp_path):
    past = tmp_path / "past.json"
    past.write_text(json.dumps({"task": "counting:linear", "runs": []}))
    assert main([*TUNE, "--strategy", "tpe", "--warm-start", str(past)]) == 2
    assert "warm start needs a strategy that starts from a prior (halving, racing, ttts" in capsys.readouterr().out
    assert main(["tune", "--suite", "counting:linear,toy:linear", "--jobs", "0", "--json", "--warm-start", str(past)]) == 2
    assert "tune the suite's tasks one by one" in capsys.readouterr().out
