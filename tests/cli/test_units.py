"""Scores read in the metric's own units everywhere: an RMSE study's JSON, table, verdict and report.

The study (two settings, two seeds, scikit-learn in the sandbox) takes about a minute on a busy machine;
it is run once per module and read by every test but the table's.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from sklearn import datasets

from autoloop.cli import main

# Two settings, two seeds each, one update per run: the smallest study with a verdict.
SMALL = ["--optimizer", "local", "--jobs", "0", "--iterations", "1", "--seeds", "2", "--budget-iterations", "8"]


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = datasets.load_diabetes(as_frame=True).frame.rename(columns={"target": "progression"})
    path = tmp_path_factory.mktemp("units") / "diabetes.csv"
    data.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def study(diabetes: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """``autoloop tune csv:diabetes --json`` over two settings, and its report."""
    folder = tmp_path_factory.mktemp("study")
    argv = ["tune", "csv:diabetes", "--data", str(diabetes), "--target", "progression", "--space", "artifact=one_function;batch_size=1,5"]
    out = folder / "result.json"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main([*argv, *SMALL, "--json"]) == 0
    out.write_text(buffer.getvalue())
    report = folder / "report.html"
    assert main(["report", str(out), "-o", str(report)]) == 0
    return json.loads(out.read_text()), report


def test_the_json_gives_rmse_positive_with_its_direction_once(study: tuple[dict, Path]) -> None:
    data, _ = study
    assert data["metric"]["direction"] == "rmse, lower is better"
    assert 30 < data["validation"]["mean"] < 100 and 30 < data["test"]["mean"] < 100
    assert all(low > 0 for low in (data["validation"]["ci95"][0], data["test"]["ci95"][0]))
    for run in data["runs"]:
        assert run["best_val"] > 0 and run["test"] > 0
        assert all(v > 0 for _, v in run["curve"]) and all(v > 0 and t > 0 for _, v, t in run["test_curve"])
    assert "display" not in json.dumps(data)


def test_the_best_setting_is_the_one_with_the_smallest_rmse(study: tuple[dict, Path]) -> None:
    data, _ = study
    by_setting: dict[int, list[float]] = {}
    for run in data["runs"]:
        by_setting.setdefault(run["settings"]["batch_size"], []).append(run["best_val"])
    means = {b: sum(v) / len(v) for b, v in by_setting.items()}
    verdict = data["verdict"]
    assert verdict["pick"]["batch_size"] == data["settings"]["batch_size"]
    if verdict["certain"] or "highest" not in verdict["text"]:
        assert data["settings"]["batch_size"] == min(means, key=means.get)
    assert "highest" not in verdict["text"] and "-" not in verdict["text"].split("(")[-1].split()[1]


def test_the_report_labels_axes_with_the_direction(study: tuple[dict, Path]) -> None:
    _, report = study
    page = report.read_text()
    assert "rmse, lower is better" in page
    assert "higher-is-better" not in page


def test_the_table_states_the_direction_and_shows_rmse_positive(diabetes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tune", "csv:diabetes", "--data", str(diabetes), "--target", "progression", "--space", "artifact=one_function;batch_size=1,5"]
    assert main([*argv, *SMALL[:-1], "2"]) == 0  # one seed each: the table is all this test reads
    out = capsys.readouterr().out
    assert "scores: rmse, lower is better" in out
    row = next(line for line in out.splitlines() if "(chosen)" in line)
    assert all(float(cell.split()[0]) > 0 for cell in row.split("|")[6:8]), row
