"""The MLAgentBench tasks: fit a candidate scikit-learn pipeline on folds, score held-out rows."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autoloop.artifact import Artifact
from autoloop.sandbox import Limits, Sandbox
from autoloop.tasks._base import Metric, Task
from autoloop.tasks.mlpipeline import _runner
from autoloop.tasks.mlpipeline._data import DATASETS, FOLDS, Dataset, field_glossary, load_frame, make_splits, resolve_data_dir
from autoloop.tasks.mlpipeline._feedback import feedback_text
from autoloop.trace import Instance, Split, Step, Trace, failed_trace

TIMEOUT_S = 120
MEMORY_MB = 3072

BACKGROUND = """\
Goal: improve a scikit-learn pipeline for the Kaggle problem "{title}" (from MLAgentBench).
{goal}
Metric: {metric_text}
Each training trace fits the pipeline on one fold of the training rows and scores the fold's
held-out rows; validation fits on all training rows and scores the validation rows.
Interface: the code is called with x and test_data (pandas DataFrames of the raw columns,
target removed) and y (a pandas Series aligned with x); the argument task is the string
"{kind}". Predictions must be one value per test_data row, in order: {prediction}.
Only numpy, pandas and scikit-learn are available; a fit must finish within {timeout} s.
Columns: {columns}.
"""


class MLPipelineTask(Task):
    """Shared logic of the MLAgentBench tasks; subclasses name the dataset and metric.

    Train instances are ``FOLDS`` folds of the train split (a rollout fits on the fold's
    training part and scores its held-out part); ``val`` and ``test`` are one instance each
    (fit on the whole train split, score the split). Candidate code runs in a sandbox the
    task creates on first use and closes in ``close``.

    Args:
        data_dir: Folder holding the CSV (or its ``mlagentbench/`` parent); ``None`` reads
            ``$AUTOLOOP_DATA``.
        limits: Sandbox limits of one fit (default: ``TIMEOUT_S`` seconds, ``MEMORY_MB`` MiB).

    Raises:
        DataError: The CSV is missing; the message names the file and the fix.
    """

    dataset: Dataset
    title: str
    goal: str
    metric_text: str
    prediction_text: str
    policy_family = "mlpipeline"
    artifacts = ("many_functions", "one_function")
    horizons = (1,)
    batch_sizes = (1, 3, 5)

    def __init__(self, data_dir: Path | str | None = None, *, limits: Limits | None = None) -> None:
        self.limits = limits or Limits(timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB)
        self.data_dir = resolve_data_dir(data_dir, self.dataset.filename)
        frame = load_frame(self.dataset, self.data_dir)
        self.x = frame.drop(columns=self.dataset.target)
        self.y = frame[self.dataset.target]
        self.splits = make_splits(self.y, self.dataset.kind)
        self.background = self._background()
        self._sandbox: Sandbox | None = None

    def _background(self) -> str:
        return BACKGROUND.format(
            title=self.title,
            goal=self.goal,
            metric_text=self.metric_text,
            kind=self.dataset.kind,
            prediction=self.prediction_text,
            timeout=round(self.limits.timeout_s),
            columns=", ".join(self.x.columns),
        )

    def split(self, name: Split) -> Sequence[Instance]:
        if name == "train":
            return [Instance(f"fold-{i}", "train", i) for i in range(len(self.splits.folds))]
        if name not in ("val", "test"):
            raise ValueError(f"unknown split {name=}; use 'train', 'val' or 'test'")
        return [Instance(name, name)]

    def rows(self, instance: Instance) -> tuple[np.ndarray, np.ndarray]:
        """``(fit_rows, scored_rows)`` of an instance, positions in the labeled frame."""
        if instance.split == "train":
            return self.splits.folds[instance.data]
        return self.splits.train, getattr(self.splits, instance.split)

    def step_input(self, instance: Instance) -> str:
        """The step input shown to the optimizer: what was fit and what was scored."""
        fit, scored = self.rows(instance)
        where = f"fold {instance.data + 1} of {FOLDS} of the training rows" if instance.split == "train" else f"the {instance.split} split"
        return f"{self.name}: fit on {len(fit)} rows, predict {len(scored)} held-out rows ({where})"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        fit, scored = self.rows(instance)
        payload = {
            "x": self.x.iloc[fit].reset_index(drop=True),
            "y": self.y.iloc[fit].reset_index(drop=True),
            "test_data": self.x.iloc[scored].reset_index(drop=True),
            "task": self.dataset.kind,
            "staged": set(_runner.STAGES) <= set(artifact.parameters),
        }
        outcome = self.sandbox().call(_runner.ENTRY, artifact.source, payload)
        if not outcome.ok:
            return failed_trace(instance, outcome.error, score=self.failure_score)
        predictions = np.asarray(outcome.value, dtype=float)
        problem = self.check(predictions)
        if problem:
            return failed_trace(instance, problem, score=self.failure_score)
        metrics = {**self.measure(self.y.iloc[scored].to_numpy(), predictions), "fit_seconds": round(outcome.duration_s, 3)}
        score = max(self.score_of(metrics), self.failure_score)
        feedback = feedback_text(self.dataset.kind, metrics)
        step = Step(self.step_input(instance), self.summarize(predictions, metrics), feedback, reward=score)
        return Trace(instance.id, instance.split, (step,), score, feedback=feedback, metrics=metrics)

    def sandbox(self) -> Sandbox:
        """The task's sandbox, started on first use (forks a child with the ML modules loaded)."""
        if self._sandbox is None:
            self._sandbox = Sandbox(limits=self.limits, preload=_runner.PRELOAD)
        return self._sandbox

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    def check(self, predictions: np.ndarray) -> str | None:
        """Why ``predictions`` cannot be scored, or ``None``."""
        if not np.isfinite(predictions).all():
            return "predictions contain NaN or infinite values"
        return None

    @abc.abstractmethod
    def measure(self, truth: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
        """Named metrics of the predictions against the held-out labels."""

    @abc.abstractmethod
    def score_of(self, metrics: dict[str, Any]) -> float:
        """The internal score (higher is better) from ``measure``'s metrics."""

    @abc.abstractmethod
    def summarize(self, predictions: np.ndarray, metrics: dict[str, float]) -> str:
        """The step output shown to the optimizer."""


SPACESHIP_COLUMNS = """\
Column meanings: PassengerId is gggg_pp (group gggg, member pp; groups often travel together);
HomePlanet and Destination are planets; CryoSleep means confined to the cabin the whole trip;
Cabin is deck/num/side (side P = port, S = starboard); Age; VIP; RoomService, FoodCourt,
ShoppingMall, Spa, VRDeck are amounts billed at each amenity; Name is first and last name.
"""


class SpaceshipTitanicTask(MLPipelineTask):
    """``mlpipeline:spaceship-titanic``: predict ``Transported``; score = accuracy."""

    name = "mlpipeline:spaceship-titanic"
    dataset = DATASETS["spaceship-titanic"]
    title = "Spaceship Titanic"
    metric = Metric("accuracy")
    failure_score = 0.0
    goal = "Predict for each passenger whether they were transported to another dimension (Transported)."
    metric_text = "accuracy of the True/False predictions (higher is better); feedback also reports F1."
    prediction_text = "True/False labels (or 1/0)"

    def _background(self) -> str:
        return super()._background() + SPACESHIP_COLUMNS

    def check(self, predictions: np.ndarray) -> str | None:
        if np.isin(predictions, (0.0, 1.0)).all():
            return None
        odd = predictions[~np.isin(predictions, (0.0, 1.0))][:3]
        return f"classification predictions must be True/False (or 1/0) labels, got values like {odd.tolist()}"

    def measure(self, truth: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
        from sklearn.metrics import accuracy_score, f1_score  # heavy: loaded when scoring, not with the registry

        labels, guessed = truth.astype(bool), predictions.astype(bool)
        return {"accuracy": float(accuracy_score(labels, guessed)), "f1": float(f1_score(labels, guessed, zero_division=0.0))}

    def score_of(self, metrics: dict[str, Any]) -> float:
        return metrics["accuracy"]

    def summarize(self, predictions: np.ndarray, metrics: dict[str, float]) -> str:
        return f"{len(predictions)} predictions, {predictions.mean():.1%} True; accuracy {metrics['accuracy']:.4f}, F1 {metrics['f1']:.4f}"


class HousePricesTask(MLPipelineTask):
    """``mlpipeline:house-prices``: predict ``SalePrice``; score = -RMSE of log prices."""

    name = "mlpipeline:house-prices"
    dataset = DATASETS["house-prices"]
    title = "House Prices"
    metric = Metric("rmse_log", higher_is_better=False)
    failure_score = -10.0
    goal = "Predict the sale price in dollars (SalePrice) of each house in Ames, Iowa."
    metric_text = (
        "RMSE between log(predicted) and log(true) SalePrice (lower is better; the loop maximizes "
        "its negative); feedback also reports R^2 on log prices."
    )
    prediction_text = "positive sale prices in dollars"

    def _background(self) -> str:
        glossary = field_glossary(self.data_dir)
        text = super()._background()
        return f"{text}Column meanings (NA usually means 'none'):\n{glossary}\n" if glossary else text

    def check(self, predictions: np.ndarray) -> str | None:
        problem = super().check(predictions)
        if problem is None and (predictions <= 0).any():
            return f"regression predictions must be positive sale prices in dollars, got minimum {predictions.min():.4g}"
        return problem

    def measure(self, truth: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
        from sklearn.metrics import r2_score  # heavy: loaded when scoring, not with the registry

        true_log, pred_log = np.log(truth.astype(float)), np.log(predictions)
        rmse = float(np.sqrt(np.mean((true_log - pred_log) ** 2)))
        return {"rmse": rmse, "r2": float(r2_score(true_log, pred_log))}

    def score_of(self, metrics: dict[str, Any]) -> float:
        return -metrics["rmse"]

    def summarize(self, predictions: np.ndarray, metrics: dict[str, float]) -> str:
        return (
            f"{len(predictions)} predictions, median ${np.median(predictions):,.0f} "
            f"(range ${predictions.min():,.0f}-${predictions.max():,.0f}); "
            f"RMSE(log) {metrics['rmse']:.4f}, R^2 {metrics['r2']:.4f}"
        )


TASKS: dict[str, type[MLPipelineTask]] = {"spaceship-titanic": SpaceshipTitanicTask, "house-prices": HousePricesTask}
