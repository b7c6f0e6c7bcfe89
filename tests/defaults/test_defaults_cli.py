"""``autoloop defaults RESULT.json ...``: the robust default of result files, and what a bad file gets."""

from __future__ import annotations

import json

from autoloop.cli import main

TUNE = ["--jobs", "0", "--budget-iterations", "24", "--iterations", "2", "--json"]


def test_defaults_of_result_files_compare_tasks_by_position_where_their_values_differ(capsys, tmp_path):
    files = []
    for task in ("counting:linear", "toy:linear"):  # batch sizes 1,2,4 and 1,2: compared by position
        assert main(["tune", task, *TUNE]) == 0
        files.append(tmp_path / f"{task.replace(':', '_')}.json")
        files[-1].write_text(capsys.readouterr().out)
    assert main(["defaults", *map(str, files), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tasks"] == ["counting:linear", "toy:linear"] and data["evidence"]["studies"] == 2
    assert data["pick"]["batch_size"] in ("#1", "#2") and data["evidence"]["positions"]["toy:linear"]["batch_size"] == [1, 2]
    assert main(["defaults", *map(str, files)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("robust default (normalized): batch_size=#") and "leave-one-task-out regret: mean" in shown


def test_a_file_that_is_not_a_result_is_refused_with_what_to_pass(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hello": 1}))
    assert main(["defaults", str(bad)]) == 2
    assert "is not the output of `autoloop tune --json`" in capsys.readouterr().err
