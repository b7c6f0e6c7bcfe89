"""Dollars: the plan estimate before any run (no endpoint contacted), a dollar budget that stops the study, spend shown."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from autoloop.cli import main
from autoloop.controller import Budget, Meter, StudyPrices
from autoloop.llm import Price
from autoloop.loop import RunProgress
from autoloop.report import render_report
from tests.fake_openai import Reply, fake_openai  # noqa: F401 - fixture
from tests.scripted_prompt_llm import EXECUTOR_MODEL, OPTIMIZER_MODEL
from tests.tasks.test_prompt_loop import _cli, _write, prompt_llm

ESTIMATE_KEYS = {"runs", "iterations", "llm_calls", "tokens", "dollars", "seconds"}


def _update(request: dict) -> Reply:
    del request
    return Reply.json({"reasoning": "fit the target", "updates": {"guess": "def guess(x):\n    return 3 * x + 7\n"}})


def test_a_dry_run_estimates_the_plan_without_contacting_the_endpoint(capsys, shared_data: Path):
    with socket.socket() as listener:  # an endpoint that would see any connection the dry run made
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        code = main([
            "tune", "mlpipeline:spaceship-titanic", "--optimizer", "llm", "--model", "gpt-4o-mini", "--base-url", url,
            "--dry-run", "--json", "--data", str(shared_data), "--price", "gpt-4o-mini=0.15,0.6",
        ])
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing connected
    captured = capsys.readouterr()
    assert code == 0, captured.err
    estimate = json.loads(captured.out)["estimate"]
    assert set(estimate) >= ESTIMATE_KEYS
    assert estimate["runs"] >= 6 and estimate["iterations"] == 6 * estimate["runs"] <= 200  # the standard plan's 200 iterations
    assert estimate["llm_calls"] == estimate["iterations"]
    tokens = estimate["tokens"]
    assert tokens["prompt"] > 1000 * estimate["iterations"] and tokens["completion"] > 0
    assert estimate["dollars"] == pytest.approx((0.15 * tokens["prompt"] + 0.6 * tokens["completion"]) / 1e6)
    assert estimate["seconds"] > 0 and estimate["assumptions"]


def test_a_dry_run_on_loopback_costs_nothing_and_an_unknown_model_names_the_price_to_give(capsys):
    code = main(["tune", "counting:linear", "--optimizer", "llm", "--model", "mine", "--base-url", "http://127.0.0.1:9/v1", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and "$0.0000" in out and "local server" in out and "assuming:" in out
    code = main([
        "tune", "counting:linear", "--optimizer", "llm", "--model", "no-such-model", "--base-url", "https://llm.example.com/v1",
        "--budget-dollars", "1", "--dry-run",
    ])
    assert code == 2
    assert "--price no-such-model=IN,OUT" in capsys.readouterr().err


def test_the_meter_refuses_a_run_that_could_overrun_the_dollars_left():
    prices = StudyPrices("m", Price(1000.0, 1000.0, "--price"), dollars_per_iteration=0.5)
    meter = Meter(Budget(dollars=3.0), prices=prices)
    assert meter.blocked(4) is None  # before any iteration: the estimate's 0.5 a iteration, 4 x 0.5 = 2 <= 3
    assert meter.blocked(7) == "dollars"
    meter.charge("r1", RunProgress(2, 6, None, 0.0, 2000, prompt_tokens=1500, completion_tokens=500))  # 2 iterations for $2: $1 an iteration now
    assert meter.dollars == pytest.approx(2.0) and meter.dollars_per_iteration == pytest.approx(1.0)
    assert meter.blocked(1) is None and meter.blocked(2) == "dollars"
    meter.charge("r1", RunProgress(3, 6, None, 0.0, 3000, prompt_tokens=2000, completion_tokens=1000))
    assert meter.exhausted() == "dollars" and meter.to_dict()["limits"]["dollars"] == 3.0


@pytest.mark.integration
@pytest.mark.parametrize("sampler", ["auto", "random"])  # a best-arm search, and an Optuna search with its final stage
def test_a_study_stops_on_its_dollar_budget_and_says_so(capsys, fake_openai, sampler):
    server = fake_openai(_update)
    code = main([
        "tune", "counting:linear", "--jobs", "0", "--optimizer", "llm", "--base-url", server.base_url, "--model", "fake",
        "--price", "fake=1000,1000", "--budget-dollars", "3", "--iterations", "2", "--seeds", "1", "--top-k", "1",
        "--final-seeds", "1", "--sampler", sampler, "--json",
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert data["stop_reason"] == "dollars"
    spent = data["spent"]
    per_update = spent["dollars"] / spent["iterations"]
    assert spent["dollars"] <= 3 + 2 * per_update  # runs start only when they fit; one run's drift from the mean at most
    assert spent["dollars"] == pytest.approx(sum(row["dollars"] for row in spent["per_setting"]))
    assert spent["prices"]["optimizer"] == {"model": "fake", "prompt_per_million": 1000.0, "completion_per_million": 1000.0, "source": "--price"}
    assert data["estimate"]["dollars"] > 0 and len(server.requests) == spent["iterations"]
    page = render_report(data)  # the report: spend per setting and in total, next to the estimate
    assert f"${spent['dollars']:.4f}" in page and "estimated before the first run" in page
    assert "spent / estimated tokens per iteration" in page
    assert all(f"${row['dollars']:.4f}" in page for row in spent["per_setting"])


@pytest.mark.integration
def test_a_calibrated_dry_run_makes_one_real_update_and_scales_the_estimate_by_it(capsys, fake_openai):
    server = fake_openai(_update)
    code = main([
        "tune", "counting:linear", "--jobs", "0", "--optimizer", "llm", "--base-url", server.base_url, "--model", "fake",
        "--budget-iterations", "60", "--iterations", "2", "--dry-run", "--calibrate", "--json",
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    estimate = json.loads(captured.out)["estimate"]
    calibration = estimate["calibration"]
    assert len(server.requests) == 1 and calibration["measured"]["prompt_tokens"] > 0  # one update, nothing else
    ratio = calibration["ratio"]["prompt"]
    assert ratio == pytest.approx(calibration["measured"]["prompt_tokens"] / calibration["template"]["prompt_tokens"], rel=1e-2)
    assert any("one real update" in a for a in estimate["assumptions"])


@pytest.mark.integration
def test_a_prompt_tasks_run_is_charged_for_its_executor_at_the_executors_price(tmp_path):
    server = prompt_llm()
    try:
        done = _cli(
            server, tmp_path, "run", "prompt:arith", "--data", str(_write(tmp_path, "jsonl")), "--iterations", "1", "--json",
            "--price", f"{OPTIMIZER_MODEL}=1000,2000", "--price", f"{EXECUTOR_MODEL}=100,200",
        )
    finally:
        server.close()
    out = json.loads(done.stdout)
    task_tokens = out["tokens"] - out["prompt_tokens"] - out["completion_tokens"]
    assert task_tokens > len(server.requests(EXECUTOR_MODEL)) > 0 and out["prompt_tokens"] > 0
    optimizer = (1000 * out["prompt_tokens"] + 2000 * out["completion_tokens"]) / 1e6
    assert out["dollars"] == pytest.approx(optimizer + 200 * task_tokens / 1e6)  # the executor's, at its completion price
    assert out["prices"]["executor"]["model"] == EXECUTOR_MODEL
