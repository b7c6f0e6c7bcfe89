"""``autoloop run`` and ``autoloop tasks`` in-process: JSON shape, metric units, bad input."""

from __future__ import annotations

import json

import pytest

from autoloop.cli import main


def test_run_json_has_settings_scores_and_curve(capsys):
    assert main(["run", "toy:linear", "--iterations", "4", "--batch-size", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["batch_size"] == 2 and data["settings"]["starting_artifact"] == "start"
    assert len(data["curve"]) == 5 and data["curve"][0][0] == 0
    assert data["best_val"] == max(v for _, v in data["curve"])
    assert data["test"] is not None and data["optimizer"] == "local"
    # The returned artifact re-scored once on the revalidation split (toy: every second test x), with its cost.
    assert len(data["revalidation_scores"]) == data["revalidation_evaluations"] == 2 and len(data["test_scores"]) == 2
    assert data["revalidation"] == sum(data["revalidation_scores"]) / 2 and data["revalidation_tokens"] == 0


def test_run_table_shows_the_revalidation_score_and_its_cost(capsys):
    assert main(["run", "toy:linear", "--iterations", "2"]) == 0
    out = capsys.readouterr().out
    assert "revalidation neg_abs_error" in out and "revalidation: the returned artifact scored once on 2 instances" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--batch-size", "0"], "--batch-size 0 is not declared by toy:linear; choose one of 1, 2"),
        (["--batch-size", "3"], "--batch-size 3 is not declared by toy:linear; choose one of 1, 2"),
        (["--credit-horizon", "-1"], "credit_horizon must be an integer"),
        (["--iterations", "999999999"], "iterations must be an integer"),
        (["--artifact", "nope"], "--artifact: toy:linear has no starting artifact of that name; choose one of start"),
        (["--optimizer", "gpt"], "unknown optimizer 'gpt'"),
    ],
)
def test_bad_settings_exit_2_with_a_message_naming_the_field(capsys, argv, message):
    assert main(["run", "toy:linear", *argv]) == 2
    assert message in capsys.readouterr().err


def test_arguments_are_checked_before_the_data_loads(capsys, tmp_path):
    assert main(["run", "mlpipeline:house-prices", "--data", str(tmp_path), "--artifact", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--artifact: mlpipeline:house-prices has no starting artifact" in err and "not found" not in err
    assert main(["run", "mlpipeline:house-prices", "--data", str(tmp_path), "--iterations", "0"]) == 2
    assert "iterations must be an integer" in capsys.readouterr().err


def test_data_for_a_task_that_reads_none_is_refused(capsys, tmp_path):
    assert main(["run", "atari:Pong", "--data", str(tmp_path)]) == 2
    assert "--data: task atari:Pong reads no data; drop --data" in capsys.readouterr().err
    assert main(["tune", "atari:Pong", "--data", str(tmp_path)]) == 2
    assert "--data: task atari:Pong reads no data" in capsys.readouterr().err


def test_unknown_task_lists_known_ones(capsys):
    assert main(["run", "toy:quadratic"]) == 2
    assert "toy:linear" in capsys.readouterr().err


def test_tasks_lists_every_family(capsys):
    assert main(["tasks", "--json"]) == 0
    names = {row["task"] for row in json.loads(capsys.readouterr().out)}
    assert {"toy:linear", "mlpipeline:house-prices", "atari:Pong", "bbeh:linguini"} <= names
