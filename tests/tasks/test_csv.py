"""The ``csv:`` family on CSVs the tests write from scikit-learn's data sets: the CLI end to end,
metric inference, label checks and the options checked at the edge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from sklearn import datasets

from autoloop.cli import main
from autoloop.errors import ConfigError, DataError
from autoloop.executors import resolve_template
from autoloop.tasks import describe_task, get_task, task_options


def _frame(loader, target: str) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    return bunch.frame.rename(columns={"target": target})


@pytest.fixture(scope="module")
def csvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """wine (multiclass, integer labels), diabetes (regression), iris (multiclass, species names)."""
    folder = tmp_path_factory.mktemp("csvs")
    iris = _frame(datasets.load_iris, "species")
    iris["species"] = iris["species"].map(dict(enumerate(datasets.load_iris().target_names)))
    frames = {"wine": _frame(datasets.load_wine, "cultivar"), "diabetes": _frame(datasets.load_diabetes, "progression"), "iris": iris}
    paths = {}
    for name, frame in frames.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


@pytest.mark.parametrize(
    ("name", "target", "metric"), [("wine", "cultivar", "accuracy"), ("diabetes", "progression", "rmse"), ("iris", "species", "accuracy")]
)
def test_run_on_a_csv_reports_a_test_score(csvs: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str, target: str, metric: str) -> None:
    argv = ["run", f"csv:{name}", "--data", str(csvs[name]), "--target", target, "--optimizer", "local", "--json"]
    assert main([*argv, "--iterations", "1", "--batch-size", "1", "--artifact", "one_function"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metric"]["name"] == metric and data["task_options"] == {"target": target, "metric": metric}
    if metric == "accuracy":
        assert data["test"] > 0.8  # three balanced classes: guessing gets about 0.33
    else:
        assert 40 < data["test"] < 70  # RMSE; predicting the mean gets about 77


def test_string_labels_come_back_as_labels_and_feedback_names_the_baseline(csvs: dict[str, Path]) -> None:
    task = get_task("csv:iris", data_dir=csvs["iris"], options={"target": "species"})
    try:
        trace = task.rollout(task.starting_artifact("many_functions"), task.split("train")[0], 1)
    finally:
        task.close()
    assert not trace.failed and trace.metrics["accuracy"] > 0.8
    assert "'setosa'" in trace.steps[0].output and "most frequent class" in trace.feedback
    assert "'versicolor'" in task.background and 'task is the\nstring "accuracy"' in task.background


def test_a_prediction_outside_the_classes_fails_with_the_labels_expected(csvs: dict[str, Path]) -> None:
    task = get_task("csv:iris", data_dir=csvs["iris"], options={"target": "species"})
    body = "def train_model(x, y, test_data, task):\n    return ['rose'] * len(test_data)\n"
    try:
        trace = task.rollout(task.starting_artifact("one_function").with_updates({"train_model": body}), task.split("val")[0], None)
    finally:
        task.close()
    assert trace.failed and "class labels ('setosa'" in trace.error and "'rose'" in trace.error


@pytest.mark.parametrize(
    ("name", "given", "resolved"),
    [
        ("wine", {"target": "cultivar"}, "accuracy"),  # three distinct whole numbers: classes
        ("diabetes", {"target": "progression"}, "rmse"),
        ("iris", {"target": "species"}, "accuracy"),
        ("diabetes", {"target": "progression", "metric": "rmse_log"}, "rmse_log"),
        ("wine", {"target": "alcohol"}, "rmse"),
    ],
)
def test_the_metric_is_inferred_from_the_target_or_given(csvs: dict[str, Path], name: str, given: dict[str, str], resolved: str) -> None:
    options = task_options(f"csv:{name}", given, data=csvs[name])
    assert options == {**given, "metric": resolved}
    assert describe_task(f"csv:{name}", options).metric.name == resolved


def test_an_unknown_column_is_refused_before_any_work_naming_the_columns(csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "csv:iris", "--data", str(csvs["iris"]), "--target", "Species", "--optimizer", "local"]) == 2
    err = capsys.readouterr().err
    assert "no column 'Species'" in err and "sepal length (cm)" in err and "species" in err


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        ({}, ConfigError, "--target COLUMN"),
        ({"target": "species", "metric": "auc"}, ConfigError, "unknown metric 'auc'"),
        ({"target": "species", "metric": "rmse"}, ConfigError, "needs a numeric target"),
        ({"target": "species", "sep": ";"}, ConfigError, "unknown task options ['sep']"),
    ],
)
def test_bad_options_are_refused_where_the_run_is_created(csvs: dict[str, Path], given: dict[str, str], error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        resolve_template("csv:iris", data_dir=str(csvs["iris"]), options=given, optimizer="local")


def test_the_data_may_be_a_folder_holding_name_csv_and_must_exist(csvs: dict[str, Path], tmp_path: Path) -> None:
    template = resolve_template("csv:wine", data_dir=str(csvs["wine"].parent), options={"target": "cultivar"}, optimizer="local")
    assert template.task_options == {"target": "cultivar", "metric": "accuracy"}
    with pytest.raises(DataError, match=r"nope\.csv does not exist"):
        resolve_template("csv:wine", data_dir=str(tmp_path / "nope.csv"), options={"target": "cultivar"}, optimizer="local")
    with pytest.raises(DataError, match="does not exist"):  # an unknown ~user is a missing path, not a crash
        task_options("csv:wine", {"target": "cultivar"}, data="~no-such-user-autoloop/wine.csv")


def test_options_on_a_task_that_takes_none_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "toy:linear", "--task-option", "target=y"]) == 2
    assert "takes no task options, got ['target']" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [(["--task-option", "target"], "KEY=VALUE"), (["--target", "a", "--task-option", "target=b"], "twice")])
def test_malformed_task_options_on_the_command_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["run", "csv:any", "--data", "x.csv", *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("empty.csv", b"", "cannot read"), ("notes.txt", b"a,b\n1,2\n", "reads a file named *.csv")],
)
def test_a_file_that_is_not_a_csv_is_a_data_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(message)):
        task_options("csv:any", {"target": "b"}, data=path)


def test_tune_on_a_csv_reports_the_metric_in_its_own_units(csvs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tune", "csv:diabetes", "--data", str(csvs["diabetes"]), "--target", "progression", "--optimizer", "local", "--jobs", "0"]
    small = ["--space", "artifact=one_function;batch_size=1", "--iterations", "1", "--seeds", "1", "--top-k", "1", "--final-seeds", "1"]
    assert main([*argv, *small, "--budget-iterations", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metric"] == {"name": "rmse", "higher_is_better": False, "direction": "rmse, lower is better"}
    assert 40 < data["test"]["mean"] < 70


def test_tasks_lists_the_csv_family_by_its_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "--json"]) == 0
    rows = {row["task"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["csv:<name>"]["artifacts"] == ["many_functions", "one_function"]


def test_a_class_too_rare_to_split_is_refused_where_the_run_is_created(tmp_path: Path) -> None:
    path = tmp_path / "rare.csv"
    pd.DataFrame({"x": range(50), "label": ["common"] * 49 + ["once"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="cannot split 50 labeled rows"):
        task_options("csv:rare", {"target": "label"}, data=path)
