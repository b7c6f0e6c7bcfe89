"""``autoloop tune --suite``: the JSON carries the robust default and its leave-one-task-out check."""

from __future__ import annotations

import json

from autoloop.cli import main


def test_suite_json_carries_robust_defaults_with_a_leave_one_task_out_entry_per_task(capsys):
    code = main([
        "tune", "--suite", "counting:linear,toy:linear", "--jobs", "0", "--budget-iterations", "240",
        "--iterations", "3", "--seeds", "2", "--top-k", "2", "--json",
    ])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    robust = data["robust_defaults"]
    assert data["settings"].items() <= robust["pick"].items()  # the pick names the fixed knobs too
    assert robust["aggregate"]["method"] == "normalized" and "mean_rank" in robust["aggregate"]
    loto = robust["leave_one_task_out"]
    assert [e["task"] for e in loto] == ["counting:linear", "toy:linear"]
    assert all(set(e) >= {"task", "default", "regret", "own_pick"} and 0 <= e["regret"] <= 1 for e in loto)
    assert robust["evidence"]["runs"] > 0 and robust["evidence"]["per_task"]["toy:linear"]["studies"] == 1
