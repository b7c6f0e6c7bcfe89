"""Per-row test and re-validation scores of the CSV task: one instance per row, one fit per
batch, the rows' mean is the metric, and the t-interval over rows covers the metric on fresh rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autoloop.controller import Interval
from autoloop.tasks import get_task
from autoloop.tasks.mlpipeline import CsvTask
from autoloop.tasks.mlpipeline._scoring import scoring_for

# Simulated data sets per coverage cell: the rate's standard error is about 0.005.
STUDIES = 2000
# A 95% interval's coverage must fall in this band (about 3.5 standard errors either side of 0.95 at STUDIES).
BAND = (0.93, 0.97)


@pytest.fixture(scope="module", params=("spaceship-titanic", "house-prices"))
def task(request: pytest.FixtureRequest, shared_data: Path) -> Iterator[CsvTask]:
    built = get_task(f"mlpipeline:{request.param}", data_dir=shared_data)
    yield built
    built.close()


@pytest.mark.parametrize("split", ["test", "revalidation"])
def test_each_row_is_an_instance_and_their_mean_is_the_metric(task: CsvTask, split: str) -> None:
    instances = task.instances(split)
    rows = getattr(task.splits, split)
    assert [inst.data for inst in instances] == rows.tolist()
    start = task.starting_artifact("one_function")
    traces = task.rollouts(start, instances, None)
    assert [(t.instance_id, t.split) for t in traces] == [(inst.id, split) for inst in instances]
    assert not any(t.failed for t in traces)
    predictions, _ = task.predict(start, task.splits.train, rows)
    assert not isinstance(predictions, str)
    metric = task.scoring.score_of(task.scoring.measure(task.y.iloc[rows], predictions))
    assert np.mean([t.score for t in traces]) == pytest.approx(metric, rel=1e-9)
    if task.metric.name == "accuracy":
        assert {t.score for t in traces} == {0.0, 1.0}


def test_a_mixed_batch_keeps_its_order_and_a_row_alone_scores_its_own_error(shared_data: Path) -> None:
    task = get_task("mlpipeline:house-prices", data_dir=shared_data)
    try:
        batch = [task.split("revalidation")[3], task.split("val")[0], *task.split("test")[:4], task.split("train")[1]]
        start = task.starting_artifact("one_function")
        traces = task.rollouts(start, batch, None)
        alone = task.rollout(start, batch[2], None)
        predictions, _ = task.predict(start, task.splits.train, np.asarray([batch[2].data]))
    finally:
        task.close()
    assert [t.instance_id for t in traces] == [inst.id for inst in batch]
    assert traces[1].metrics["rmse"] > 0 and len(traces[2].steps) == 1
    assert not isinstance(predictions, str)
    error = abs(np.log(predictions[0]) - np.log(float(task.y.iloc[batch[2].data])))
    assert alone.score == pytest.approx(-error)


def test_a_failing_candidate_fails_every_row_once_at_the_floor(task: CsvTask) -> None:
    body = "def train_model(x, y, test_data, task):\n    raise ValueError('no model today')\n"
    artifact = task.starting_artifact("one_function").with_updates({"train_model": body})
    instances = task.instances("test")[:5]
    traces = task.rollouts(artifact, instances, None)
    assert all(t.failed and "no model today" in t.error and t.score == task.failure_score for t in traces)


def test_regression_rows_past_the_floor_all_score_the_floor() -> None:
    scoring = scoring_for("rmse", pd.Series([1.0, 2.0, 3.0]), "y")
    truth = pd.Series([1.0, 2.0, 3.0])
    assert scoring.per_row(truth, np.array([1e6, 2.0, 3.0])).tolist() == [scoring.failure_score] * 3
    assert scoring.per_row(truth, truth.to_numpy()).tolist() == [0.0, 0.0, 0.0]


def _coverage(draw: Callable[[np.random.Generator, int], tuple[pd.Series, np.ndarray]], metric: str, truth_value: float, n: int) -> float:
    """How often the 95% t-interval over the rows' scores covers ``truth_value`` (the internal score
    on the population) over ``STUDIES`` seeded simulated data sets of ``n`` rows."""
    rng = np.random.default_rng(19)
    scoring = scoring_for(metric, pd.Series([1.0, 1e4]), "y")  # a failure floor far below the simulated errors
    hits = 0
    for _ in range(STUDIES):
        truth, predictions = draw(rng, n)
        interval = Interval.of(scoring.per_row(truth, predictions))
        hits += interval.low <= truth_value <= interval.high  # type: ignore[operator]
    return hits / STUDIES


@pytest.mark.parametrize(("p", "n"), [(0.6, 300), (0.8, 300), (0.8, 1739)])
def test_the_accuracy_interval_over_rows_covers_the_true_accuracy(p: float, n: int) -> None:
    def draw(rng: np.random.Generator, n: int) -> tuple[pd.Series, np.ndarray]:
        truth = rng.random(n) < 0.5
        predicted = np.where(rng.random(n) < p, truth, ~truth)
        return pd.Series(truth), predicted.astype(float).astype(object)  # checked predictions are label keys

    assert BAND[0] <= _coverage(draw, "accuracy", p, n) <= BAND[1]


@pytest.mark.parametrize(("metric", "bias", "spread", "n"), [("rmse", 3.0, 10.0, 292), ("rmse", 0.0, 10.0, 1739), ("rmse_log", 0.02, 0.15, 292)])
def test_the_rmse_interval_over_rows_covers_the_true_rmse(metric: str, bias: float, spread: float, n: int) -> None:
    """Normal errors around a bias (on the log scale for ``rmse_log``): the population RMSE is
    ``sqrt(bias^2 + spread^2)``, and the delta-method interval of the per-row values covers it."""
    def draw(rng: np.random.Generator, n: int) -> tuple[pd.Series, np.ndarray]:
        truth = np.exp(rng.normal(5.0, 0.4, n))
        errors = rng.normal(bias, spread, n)
        return pd.Series(truth), truth * np.exp(errors) if metric == "rmse_log" else truth + errors

    assert BAND[0] <= _coverage(draw, metric, -float(np.hypot(bias, spread)), n) <= BAND[1]
