"""The MLAgentBench presets of the CSV task on the real CSVs: splits, starting artifacts, failures, feedback, data errors."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from autoloop.errors import DataError
from autoloop.executors import resolve_template
from autoloop.loop import LoopRun
from autoloop.optimizers import create_optimizer
from autoloop.optimizers._local import tunable_constants
from autoloop.policies import load_policy
from autoloop.sandbox import Limits
from autoloop.settings import LoopSettings
from autoloop.tasks import get_task, task_names
from autoloop.tasks.mlpipeline import PRESETS, CsvTask, feedback_text

VARIANTS = ("spaceship-titanic", "house-prices")
POLICIES = Path(str(resources.files("autoloop.policies"))) / "csv"


@pytest.fixture(scope="module", params=VARIANTS)
def task(request: pytest.FixtureRequest, shared_data: Path) -> Iterator[CsvTask]:
    built = get_task(f"mlpipeline:{request.param}", data_dir=shared_data / "mlagentbench")
    yield built
    built.close()


def test_both_tasks_are_registered() -> None:
    assert {"mlpipeline:spaceship-titanic", "mlpipeline:house-prices"} <= set(task_names())


def test_splits_are_deterministic_disjoint_and_cover_every_row(task: CsvTask, shared_data: Path) -> None:
    again = get_task(task.name, data_dir=shared_data)  # the parent folder works too
    s = task.splits
    names = ("train", "val", "test", "revalidation")
    for name in names:
        assert np.array_equal(getattr(s, name), getattr(again.splits, name))
    rows = [set(getattr(s, name)) for name in names]
    assert all(not rows[i] & rows[j] for i in range(4) for j in range(i + 1, 4))
    assert len(set().union(*rows)) == len(task.y)
    for name, share in zip(names, (0.4, 0.2, 0.2, 0.2), strict=True):
        assert abs(len(getattr(s, name)) / len(task.y) - share) < 0.01, name
    train = rows[0]
    held_out = [set(held) for _, held in s.folds]
    assert len(held_out) == len(task.split("train")) == 5
    assert set().union(*held_out) == train and sum(map(len, held_out)) == len(train)
    for fit, held in s.folds:
        assert not set(fit) & set(held) and set(fit) | set(held) == train


@pytest.mark.parametrize(("variant", "target"), [("spaceship-titanic", "Transported"), ("house-prices", "SalePrice")])
def test_a_preset_is_the_csv_task_on_its_file(shared_data: Path, variant: str, target: str) -> None:
    preset = get_task(f"mlpipeline:{variant}", data_dir=shared_data)
    path = preset.problem.path
    own = get_task(f"csv:{path.stem}", data_dir=path, options={"target": target, "metric": PRESETS[variant].metric})
    assert (own.metric, own.failure_score) == (preset.metric, preset.failure_score)
    for name in ("train", "val", "test"):
        assert np.array_equal(getattr(own.splits, name), getattr(preset.splits, name))


def test_spaceship_splits_are_stratified(shared_data: Path) -> None:
    task = get_task("mlpipeline:spaceship-titanic", data_dir=shared_data)
    labels = task.y.to_numpy().astype(bool)
    overall = labels.mean()
    for rows in (task.splits.train, task.splits.val, task.splits.test, *(held for _, held in task.splits.folds)):
        assert abs(labels[rows].mean() - overall) < 0.005


@pytest.mark.slow
@pytest.mark.parametrize("artifact", ["many_functions", "one_function"])
def test_starting_artifacts_score_sensibly_on_val(task: CsvTask, artifact: str) -> None:
    score = task.evaluate(task.starting_artifact(artifact), "val")
    if task.metric.higher_is_better:
        assert score > 0.75  # accuracy; a majority guess gets about 0.50
    else:
        assert -0.2 < score < 0  # -RMSE of log price; predicting the mean gets about -0.4


def test_rollout_trace_has_one_step_with_metrics_and_staged_feedback(shared_data: Path) -> None:
    task = get_task("mlpipeline:house-prices", data_dir=shared_data)
    try:
        trace = task.rollout(task.starting_artifact("one_function"), task.split("train")[2], 1)
    finally:
        task.close()
    assert not trace.failed and len(trace.steps) == 1
    assert trace.score == pytest.approx(-trace.metrics["rmse"]) and trace.metrics["r2"] > 0.7
    step = trace.steps[0]
    assert "fold 3 of 5" in step.input and "RMSE(log)" in step.output
    assert step.feedback.startswith("Held-out RMSE") and "Strong result" in step.feedback


BROKEN = {
    "syntax": ("def train_model(x, y, test_data, task)\n    return y\n", "SyntaxError"),
    "exception": ("def train_model(x, y, test_data, task):\n    raise ValueError('no model today')\n", "no model today"),
    "length": ("def train_model(x, y, test_data, task):\n    return [1.0]\n", "expected"),
    "missing": ("def fit(x, y, test_data, task):\n    return y\n", "train_model"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_candidate_becomes_a_failed_trace_with_a_reason(task: CsvTask, case: str) -> None:
    body, reason = BROKEN[case]
    artifact = task.starting_artifact("one_function").with_updates({"train_model": body})
    trace = task.rollout(artifact, task.split("train")[0], 1)
    assert trace.failed and reason in trace.error
    assert trace.score == task.failure_score and trace.feedback.startswith("Evaluation failed")


def test_a_broken_stage_of_many_functions_is_named_in_the_failure(task: CsvTask) -> None:
    body = "def select_features(x, y, test_data, task):\n    return x[['no such column']], test_data\n"
    artifact = task.starting_artifact("many_functions").with_updates({"select_features": body})
    trace = task.rollout(artifact, task.split("train")[1], 1)
    assert trace.failed and "KeyError" in trace.error and "no such column" in trace.error


def test_a_hanging_candidate_times_out_as_a_failed_trace(shared_data: Path) -> None:
    task = CsvTask("mlpipeline:spaceship-titanic", PRESETS["spaceship-titanic"].problem(shared_data), limits=Limits(timeout_s=2))
    body = "def train_model(x, y, test_data, task):\n    while True:\n        pass\n"
    try:
        trace = task.rollout(task.starting_artifact("one_function").with_updates({"train_model": body}), task.split("val")[0], None)
    finally:
        task.close()
    assert trace.failed and "timed out" in trace.error and trace.score == 0.0


def test_unscorable_predictions_fail_with_what_was_expected(task: CsvTask) -> None:
    wrong = "0.37" if task.metric.higher_is_better else "-5.0"
    body = f"def train_model(x, y, test_data, task):\n    return [{wrong}] * len(test_data)\n"
    trace = task.rollout(task.starting_artifact("one_function").with_updates({"train_model": body}), task.split("val")[0], None)
    assert trace.failed and ("class labels (False, True)" in trace.error or "must be positive" in trace.error)


@pytest.mark.parametrize(
    ("f1", "band"),
    [(0.2, "Poor"), (0.4999, "Poor"), (0.5, "Weak"), (0.6999, "Weak"), (0.7, "Decent"), (0.7999, "Decent"), (0.8, "Strong"), (0.95, "Strong")],
)
def test_classification_feedback_is_staged_by_f1(f1: float, band: str) -> None:
    text = feedback_text("accuracy", {"accuracy": 0.5, "f1": f1, "majority": 0.5})
    assert f"macro F1 {f1:.4f}" in text and band in text.split(". ", 1)[1]


@pytest.mark.parametrize(
    ("r2", "band"),
    [(-1.0, "Poor"), (0.0, "Poor"), (0.001, "Weak"), (0.4999, "Weak"), (0.5, "Decent"), (0.6999, "Decent"), (0.7, "Strong"), (0.9, "Strong")],
)
def test_regression_feedback_is_staged_by_r2(r2: float, band: str) -> None:
    text = feedback_text("rmse_log", {"rmse": 0.2, "r2": r2})
    assert f"R^2 {r2:.4f}" in text and band in text.split(". ", 1)[1]


def test_one_function_docstring_is_the_many_function_docstrings_concatenated() -> None:
    many = ast.parse((POLICIES / "many_functions.py").read_text())
    one = ast.parse((POLICIES / "one_function.py").read_text())
    stages = [node for node in many.body if isinstance(node, ast.FunctionDef)]
    assert [f.name for f in stages] == ["preprocess", "select_features", "train_model", "predict"]
    (single,) = [node for node in one.body if isinstance(node, ast.FunctionDef)]
    assert ast.get_docstring(single) == "\n\n".join(ast.get_docstring(f) for f in stages)


def test_starting_artifacts_have_tunable_constants_in_editable_functions() -> None:
    for name in ("many_functions", "one_function"):
        artifact = load_policy("csv", name)
        assert "header" not in artifact.editable and "import" in artifact.parameters["header"]
        assert sum(len(tunable_constants(artifact.parameters[p])) for p in artifact.editable) >= 8


def test_missing_data_names_the_file_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match=r"house_prices_train\.csv not found .*--data FOLDER"):
        get_task("mlpipeline:house-prices", data_dir=tmp_path)
    monkeypatch.delenv("AUTOLOOP_DATA", raising=False)
    with pytest.raises(DataError, match=r"no data given for spaceship_titanic_train\.csv; download .* --data FOLDER .*AUTOLOOP_DATA where"):
        get_task("mlpipeline:spaceship-titanic")


def test_data_dir_comes_from_the_environment_where_the_run_is_created(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOOP_DATA", str(shared_data))
    template = resolve_template("mlpipeline:spaceship-titanic", data_dir=None, optimizer="local", endpoint=None)
    assert template.data_dir == str(shared_data)  # read once, at the edge, and carried in every job
    task = template.build_task()
    try:
        assert task.problem.path == shared_data / "mlagentbench" / "spaceship_titanic_train.csv" and "Cabin is deck/num/side" in task.background
    finally:
        task.close()
    with pytest.raises(DataError, match="pass --data"):  # a worker's own AUTOLOOP_DATA never chooses the data
        get_task("mlpipeline:spaceship-titanic")


@pytest.mark.slow
def test_a_short_local_loop_improves_or_keeps_val_and_scores_test(shared_data: Path) -> None:
    task = get_task("mlpipeline:house-prices", data_dir=shared_data)
    settings = LoopSettings("many_functions", batch_size=1, iterations=2, seed=1)
    try:
        result = LoopRun(task, settings, create_optimizer("local", seed=1)).run()
    finally:
        task.close()
    assert [i for i, _ in result.curve] == [0, 1, 2]
    assert result.best_val >= result.curve[0][1] and result.test is not None and -0.25 < result.test < 0
    assert (len(result.test_scores), len(result.revalidation_scores)) == (len(task.splits.test), len(task.splits.revalidation))
    assert np.mean(result.revalidation_scores) == pytest.approx(result.revalidation)
    assert result.revalidation_evaluations == len(task.splits.revalidation)
