"""Trusted scoring of a candidate's predictions: checks, metrics, the score and the step summary.

The candidate returns one value per scored row; everything here runs in the parent, which
alone holds the held-out labels.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Labels listed in the background and in error messages, at most.
SHOWN_CLASSES = 20
# A failed regression scores this many target standard deviations of RMSE (RMSE of logs: this many log units).
FAILURE_SPREADS = 10.0


def label_key(value: Any) -> str | float:
    """A label as compared: numbers (booleans too, ``True`` is 1) as floats, text as itself."""
    if isinstance(value, bool | int | float | np.bool_ | np.number):
        return float(value)
    return str(value)


class Scoring(abc.ABC):
    """How one metric checks and scores predictions.

    Attributes:
        metric: The metric's name.
        failure_score: The score of a failed evaluation (the floor of the metric).
    """

    metric: str
    failure_score: float

    @abc.abstractmethod
    def check(self, predictions: Sequence[Any]) -> np.ndarray | str:
        """The predictions ready to score, or why they cannot be scored."""

    @abc.abstractmethod
    def measure(self, truth: pd.Series, predictions: np.ndarray) -> dict[str, float]:
        """Named metrics of ``predictions`` against the held-out labels ``truth``."""

    @abc.abstractmethod
    def score_of(self, metrics: dict[str, Any]) -> float:
        """The internal score (higher is better)."""

    @abc.abstractmethod
    def per_row(self, truth: pd.Series, predictions: np.ndarray) -> np.ndarray:
        """One internal score per row whose mean is ``score_of(measure(truth, predictions))``,
        and whose Student-t interval is an honest 95% interval for the metric on fresh rows."""

    @abc.abstractmethod
    def summarize(self, predictions: np.ndarray, metrics: dict[str, float]) -> str:
        """The step output shown to the optimizer."""

    @abc.abstractmethod
    def describe(self) -> tuple[str, str]:
        """``(metric text, prediction text)`` for the task background."""


class ClassScoring(Scoring):
    """Accuracy of class labels; feedback adds macro F1 and the majority-class baseline.

    Args:
        labels: Every label of the data set (the classes a prediction may name).
    """

    metric = "accuracy"
    failure_score = 0.0

    def __init__(self, labels: pd.Series) -> None:
        counts = labels.map(label_key).value_counts()
        self.classes = {label_key(v): v for v in labels.drop_duplicates()}
        self.majority = float(counts.iloc[0] / counts.sum())

    def shown_classes(self) -> str:
        names = [repr(v.item() if isinstance(v, np.generic) else v) for v in list(self.classes.values())[:SHOWN_CLASSES]]
        more = f" and {len(self.classes) - SHOWN_CLASSES} more" if len(self.classes) > SHOWN_CLASSES else ""
        return ", ".join(names) + more

    def check(self, predictions: Sequence[Any]) -> np.ndarray | str:
        keys = [label_key(v) if isinstance(v, str | bool | int | float) else None for v in predictions]
        odd = [predictions[i] for i, k in enumerate(keys) if k not in self.classes][:3]
        if odd:
            return f"classification predictions must be class labels ({self.shown_classes()}), got values like {odd}"
        return np.asarray(keys, dtype=object)

    def measure(self, truth: pd.Series, predictions: np.ndarray) -> dict[str, float]:
        from sklearn import metrics as sk  # loaded with the first score, not with the task registry

        labels = np.asarray([label_key(v) for v in truth], dtype=object)
        pairs = (labels.astype(str), predictions.astype(str))
        return {
            "accuracy": float(sk.accuracy_score(*pairs)),
            "f1": float(sk.f1_score(*pairs, average="macro", zero_division=0.0)),
            "majority": self.majority,
        }

    def score_of(self, metrics: dict[str, Any]) -> float:
        return metrics["accuracy"]

    def per_row(self, truth: pd.Series, predictions: np.ndarray) -> np.ndarray:
        """1 for a correct row, 0 for a wrong one: their mean is the accuracy."""
        labels = np.asarray([label_key(v) for v in truth], dtype=object)
        return (labels.astype(str) == predictions.astype(str)).astype(float)

    def summarize(self, predictions: np.ndarray, metrics: dict[str, float]) -> str:
        import pandas

        shares = pandas.Series(predictions).map(lambda k: self.classes[k]).value_counts(normalize=True).head(3)
        spread = ", ".join(f"{label!r} {share:.1%}" for label, share in shares.items())
        return f"{len(predictions)} predictions ({spread}); accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['f1']:.4f}"

    def describe(self) -> tuple[str, str]:
        return (
            "accuracy of the predicted labels (higher is better); feedback also reports macro F1 and the "
            f"share of the most frequent class ({self.majority:.4f}, what always guessing it scores).",
            f"class labels, as in y ({self.shown_classes()})",
        )


class RegressionScoring(Scoring):
    """RMSE of the predictions, or of their logs (``rmse_log``); feedback adds R^2 on the same scale.

    Args:
        labels: Every target value of the data set (sets the failure floor).
        log: Score log values (the target and the predictions must be positive).
        target: The target's name, as the messages call it.
    """

    def __init__(self, labels: pd.Series, *, log: bool, target: str) -> None:
        self.log, self.target = log, target
        self.metric = "rmse_log" if log else "rmse"
        values = labels.astype(float)
        spread = 1.0 if log else float(values.std()) or 1.0
        self.failure_score = -FAILURE_SPREADS * spread

    def scale(self, values: np.ndarray) -> np.ndarray:
        return np.log(values) if self.log else values

    def check(self, predictions: Sequence[Any]) -> np.ndarray | str:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in predictions):
            odd = [v for v in predictions if not isinstance(v, int | float) or isinstance(v, bool)][:3]
            return f"regression predictions must be numbers, got values like {odd}"
        values = np.asarray(predictions, dtype=float)
        if not np.isfinite(values).all():
            return "predictions contain NaN or infinite values"
        if self.log and (values <= 0).any():
            return f"predictions must be positive values of {self.target} (the metric takes their log), got minimum {values.min():.4g}"
        return values

    def measure(self, truth: pd.Series, predictions: np.ndarray) -> dict[str, float]:
        from sklearn import metrics as sk

        true, pred = self.scale(truth.to_numpy(dtype=float)), self.scale(predictions)
        return {"rmse": float(np.sqrt(np.mean((true - pred) ** 2))), "r2": float(sk.r2_score(true, pred))}

    def score_of(self, metrics: dict[str, Any]) -> float:
        return -metrics["rmse"]

    def per_row(self, truth: pd.Series, predictions: np.ndarray) -> np.ndarray:
        """Minus the RMSE's linearized (delta-method) values: row ``i`` with squared error
        ``e_i^2`` scores ``-(rmse + (e_i^2 - mse) / (2 rmse))``.

        Their mean is minus the RMSE exactly, and a t-interval over them is the delta-method
        interval of ``sqrt(mean squared error)``: its standard error is that of the mean
        squared error over ``2 rmse``. Every row scores the floor when the RMSE is past it
        (as ``score_of`` clamps), and 0 when every prediction is exact.
        """
        squared = (self.scale(truth.to_numpy(dtype=float)) - self.scale(predictions)) ** 2
        mse = float(squared.mean())
        rmse = math.sqrt(mse)
        if -rmse < self.failure_score:
            return np.full(len(squared), self.failure_score)
        if rmse == 0.0:
            return np.zeros(len(squared))
        return -(rmse + (squared - mse) / (2.0 * rmse))

    def summarize(self, predictions: np.ndarray, metrics: dict[str, float]) -> str:
        name = "RMSE(log)" if self.log else "RMSE"
        return (
            f"{len(predictions)} predictions, median {np.median(predictions):,.4g} (range {predictions.min():,.4g} to "
            f"{predictions.max():,.4g}); {name} {metrics['rmse']:.4f}, R^2 {metrics['r2']:.4f}"
        )

    def describe(self) -> tuple[str, str]:
        if self.log:
            return (
                f"RMSE between log(predicted) and log(true) {self.target} (lower is better; the loop maximizes its "
                "negative); feedback also reports R^2 on log values.",
                f"positive values of {self.target}, in its own units (not logs)",
            )
        return (
            f"RMSE of the predicted {self.target} (lower is better; the loop maximizes its negative); feedback also "
            "reports R^2 (0 is what predicting the mean scores).",
            f"numbers, values of {self.target} in its own units",
        )


def scoring_for(metric: str, labels: pd.Series, target: str) -> Scoring:
    """The scoring of ``metric`` (``accuracy``, ``rmse`` or ``rmse_log``) for a data set's labels."""
    if metric == "accuracy":
        return ClassScoring(labels)
    return RegressionScoring(labels, log=metric == "rmse_log", target=target)
