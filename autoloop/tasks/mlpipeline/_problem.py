"""A tabular problem: which CSV, which target column, which metric; and the checks of the options that name them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoloop.errors import ConfigError, DataError
from autoloop.tasks._base import Metric
from autoloop.tasks.mlpipeline._data import ProblemKind, make_splits, read_csv

if TYPE_CHECKING:
    import pandas as pd

# The metrics a CSV task scores with, by name; ``rmse_log`` is the RMSE of log values (positive targets).
METRICS = {"accuracy": Metric("accuracy"), "rmse": Metric("rmse", higher_is_better=False), "rmse_log": Metric("rmse_log", higher_is_better=False)}
KINDS: dict[str, ProblemKind] = {"accuracy": "classification", "rmse": "regression", "rmse_log": "regression"}
# A numeric target with at most this many distinct whole values is read as class labels.
MAX_INTEGER_CLASSES = 20
OPTION_NAMES = ("target", "metric")


@dataclass(frozen=True)
class Problem:
    """One tabular problem, as the task runs it.

    Args:
        path: The CSV file.
        target: The column to predict.
        metric: A key of ``METRICS``.
        title: What the background calls the problem.
        goal: One sentence: what to predict.
        notes: Extra background, e.g. column meanings.
    """

    path: Path
    target: str
    metric: str
    title: str
    goal: str
    notes: str = ""

    @property
    def kind(self) -> ProblemKind:
        """``classification`` or ``regression``, from the metric."""
        return KINDS[self.metric]


def _is_bool(values: pd.Series) -> bool:
    from pandas.api.types import is_bool_dtype  # loaded with the data, not with the task registry

    return bool(is_bool_dtype(values))


def _is_numeric(values: pd.Series) -> bool:
    from pandas.api.types import is_numeric_dtype

    return bool(is_numeric_dtype(values))


def infer_metric(column: pd.Series) -> str:
    """``accuracy`` for a non-numeric target or one with few distinct whole numbers, else ``rmse``."""
    values = column.dropna()
    if _is_bool(values) or not _is_numeric(values):
        return "accuracy"
    whole = bool((values == values.round()).all())
    return "accuracy" if whole and values.nunique() <= MAX_INTEGER_CLASSES else "rmse"


def check_metric(metric: str, column: pd.Series, where: str) -> None:
    """Raise unless ``metric`` is known and fits the target's values.

    Raises:
        ConfigError: An unknown metric, or a regression metric on a non-numeric or non-positive target.
    """
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)} (or omit --metric to infer it from the target)")
    values = column.dropna()
    if KINDS[metric] == "regression" and (_is_bool(values) or not _is_numeric(values)):
        raise ConfigError(f"metric {metric!r} needs a numeric target, but {where} holds values like {values.head(3).tolist()}; use --metric accuracy")
    if metric == "rmse_log" and (values <= 0).any():
        raise ConfigError(f"metric 'rmse_log' needs a positive target, but {where} has minimum {values.min()}; use --metric rmse")


def resolve_options(path: Path, given: dict[str, Any]) -> dict[str, str]:
    """Check a CSV task's options against the file and return them complete (the metric inferred if not given).

    Args:
        path: The CSV file.
        given: ``target`` (required) and ``metric`` (optional).

    Raises:
        ConfigError: A missing ``target``, an unknown option or an unfit metric.
        DataError: The file has no such column (the message lists the columns it has), or
            its labeled rows cannot be split.
    """
    unknown = sorted(set(given) - set(OPTION_NAMES))
    if unknown:
        raise ConfigError(f"unknown task options {unknown} for a CSV task; it takes {list(OPTION_NAMES)} (--target, --metric)")
    target = given.get("target")
    if not target:
        raise ConfigError(f"a CSV task needs its target column: pass --target COLUMN (or the task option target) for {path}")
    columns = list(read_csv(path, nrows=0).columns)
    if target not in columns:
        raise DataError(f"{path} has no column {target!r}; pass --target one of its columns: {', '.join(columns)}")
    column = read_csv(path, usecols=[target])[target]
    where = f"column {target!r} of {path.name}"
    if column.notna().sum() == 0:
        raise DataError(f"{where} is empty; pass --target a column that holds the labels")
    metric = str(given.get("metric") or infer_metric(column))
    check_metric(metric, column, where)
    make_splits(column.dropna().reset_index(drop=True), KINDS[metric])  # a class too rare to split stops here, not on a worker
    return {"target": str(target), "metric": metric}
