"""``autoloop tune``: JSON with every Recommendation field, the final table, suites (with their robust default), bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from autoloop.cli import main
from tests.fake_openai import Reply, fake_openai  # noqa: F401 - fixture


def test_tune_json_has_every_field_and_a_test_interval_from_three_fresh_seeds(capsys):
    code = main([
        "tune", "counting:linear", "--jobs", "0", "--budget-iterations", "120", "--iterations", "4", "--strategy", "tpe", "--top-k", "3",
        "--final-seeds", "3", "--json",
    ])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["plan"]["preset"] == "standard" and data["plan"]["overrides"] == ["iterations", "top_k", "final_seeds", "strategy"]
    assert data["test"]["n"] == 3 and data["validation"]["n"] == 3
    assert data["test"]["mean"] > 0  # abs error shown positive
    assert len(data["runners_up"]) == 2
    assert data["spent"]["iterations"] <= 120
    final_seeds = {r["settings"]["seed"] for r in data["runs"] if r["stage"] == "final"}
    search_seeds = {r["settings"]["seed"] for r in data["runs"] if r["stage"] == "search"}
    assert len(final_seeds) == 3 and not final_seeds & search_seeds
    finished = [r for r in data["runs"] if r["stopped"] != "stopped"]
    for run in finished:  # each finished run's returned artifact re-scored once, with its cost, in both units
        assert run["revalidation"] >= 0  # abs error shown positive, as every score of the JSON
        assert run["revalidation_evaluations"] == len(run["revalidation_scores"]) > 0 and run["revalidation_seconds"] >= 0
    returned = data["returned_test"]  # the returned artifact's test, its interval over test instances
    assert returned["unit"] == "test instances" and returned["run_id"] in {r["run_id"] for r in data["runs"]}


def test_tune_prints_a_table(capsys):
    code = main(["tune", "counting:linear", "--jobs", "0", "--budget-iterations", "60", "--iterations", "3", "--top-k", "1", "--seeds", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 (chosen)" in out and "test abs_error" in out and "meta-overfitting:" in out and "verdict (halving" in out
    assert "re-validation abs_error" in out and re.search(r"re-validation \(each finished run's returned artifact, scored once\): \d+ runs", out)
    returned = r"returned artifact \(run [^)]+\): test abs_error [\d.]+ \[[\d.]+, [\d.]+\] over \d+ test instances"
    assert re.search(returned + "; chosen setting's test: ", out)


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
    robust = data["robust_defaults"]  # the leave-one-task-out check of that choice
    assert data["settings"].items() <= robust["pick"].items()  # the pick names the fixed knobs too
    assert robust["aggregate"]["method"] == "normalized" and "mean_rank" in robust["aggregate"]
    loto = robust["leave_one_task_out"]
    assert [e["task"] for e in loto] == ["counting:linear", "toy:linear"]
    assert all(set(e) >= {"task", "default", "regret", "own_pick"} and 0 <= e["regret"] <= 1 for e in loto)
    assert robust["evidence"]["runs"] > 0 and robust["evidence"]["per_task"]["toy:linear"]["studies"] == 1


def test_a_budget_too_small_for_the_plan_stops_tune_before_any_run_and_names_what_fits(capsys):
    code = main(["tune", "mlpipeline:spaceship-titanic", "--jobs", "2", "--budget-iterations", "40", "--strategy", "tpe"])
    captured = capsys.readouterr()
    assert code == 2
    assert "--budget-iterations 40 is too small for preset standard (needs >= 48" in captured.err
    assert captured.err.rstrip().endswith("use --preset quick or --budget-iterations 48")
    assert "tune mlpipeline" not in captured.err  # refused before the progress bar


def test_tune_runs_the_real_ml_pipeline_within_its_budget(capsys, shared_data: Path):
    """That the default plan fits 60 iterations on this task's space is checked without a run
    (test_plan.py); this runs the real pipeline through `tune`, on one setting of one iteration
    (the full 60-iteration study took 10 real runs of ~40 s each: 482 s on a loaded machine)."""
    data_dir = shared_data / "mlagentbench"
    code = main([
        "tune", "mlpipeline:spaceship-titanic", "--data", str(data_dir), "--optimizer", "local", "--iterations", "1", "--jobs", "0",
        "--space", "starting_artifact=one_function;batch_size=1;credit_horizon=1", "--budget-iterations", "2", "--json",
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert data["plan"]["preset"] == "standard" and data["plan"]["overrides"] == ["iterations"]
    assert data["spent"]["iterations"] <= 2 and data["test"]["n"] >= 1


def test_bad_space_is_an_error_with_a_hint(capsys):
    code = main(["tune", "counting:linear", "--jobs", "0", "--space", "colour=red"])
    assert code == 2
    assert "searchable:" in capsys.readouterr().err


def test_missing_data_stops_tune_before_any_run(capsys, tmp_path):
    code = main(["tune", "mlpipeline:house-prices", "--jobs", "2", "--data", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert "house_prices_train.csv not found" in captured.err and "loop run" not in captured.err


def test_suite_checks_every_tasks_data_up_front(capsys, tmp_path, shared_data: Path):
    shutil.copy(shared_data / "mlagentbench" / "spaceship_titanic_train.csv", tmp_path)  # the first task's data only
    code = main(["tune", "--suite", "mlpipeline:spaceship-titanic,mlpipeline:house-prices", "--jobs", "0", "--data", str(tmp_path)])
    assert code == 2
    assert "house_prices_train.csv not found" in capsys.readouterr().err


def _toy_update(request: dict) -> Reply:
    del request
    return Reply.json({"reasoning": "fit the target", "updates": {"guess": "def guess(x):\n    return 3 * x + 7\n"}})


@pytest.mark.integration
@pytest.mark.parametrize("sampler", ["auto", "random"])  # a best-arm search, and an Optuna sampler that may suggest it
def test_a_setting_too_large_for_the_context_window_is_shown_infeasible_and_never_run(capsys, fake_openai, sampler):
    server = fake_openai(_toy_update, props_window=2048)  # the window is read from the server, as llama.cpp reports it
    code = main([
        "tune", "counting:linear", "--jobs", "0", "--optimizer", "llm", "--base-url", server.base_url, "--model", "fake",
        "--max-tokens", "256", "--space", "batch_size=1,4;credit_horizon=1,100", "--budget-iterations", "40",
        "--iterations", "2", "--seeds", "1", "--top-k", "1", "--final-seeds", "1", "--strategy", sampler, "--json",
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    infeasible = {(i["settings"]["batch_size"], i["settings"]["credit_horizon"]): i["reason"] for i in data["infeasible"]}
    assert set(infeasible) == {(4, 100)}
    assert "batch_size 4 x credit_horizon 100 needs a prompt of at least" in infeasible[(4, 100)]
    assert "2048-token context window" in infeasible[(4, 100)]
    ran = {(r["settings"]["batch_size"], r["settings"]["credit_horizon"]) for r in data["runs"]}
    assert ran and (4, 100) not in ran
    assert server.requests and "/props" in server.gets


def test_the_table_names_each_setting_not_run_with_its_reason(capsys, fake_openai):
    server = fake_openai(_toy_update)
    code = main([
        "tune", "counting:linear", "--jobs", "0", "--optimizer", "llm", "--base-url", server.base_url, "--model", "fake",
        "--max-tokens", "256", "--context-window", "1500", "--space", "batch_size=1,4;credit_horizon=1,100",
        "--budget-iterations", "40", "--iterations", "2", "--seeds", "1",
    ])
    out = capsys.readouterr().out
    assert code == 0
    assert "not run: batch_size=4,credit_horizon=100,starting_artifact=start: infeasible: batch_size 4 x credit_horizon 100" in out
    assert "1500-token context window of model 'fake'; not run" in out
