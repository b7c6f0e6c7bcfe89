"""Tabular tasks: ``csv:<name>`` for any labeled CSV, and the MLAgentBench presets ``mlpipeline:spaceship-titanic``
(accuracy) and ``mlpipeline:house-prices`` (RMSE of log price).

``autoloop run csv:wine --data wine.csv --target class`` fits the candidate pipeline on any CSV;
the task options ``target`` and ``metric`` (``accuracy``, ``rmse`` or ``rmse_log``; inferred
from the target column when not given) are checked against the file where the run or study
is created and travel in the job.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from autoloop.errors import ConfigError, DataError, UnknownNameError
from autoloop.tasks._base import Metric
from autoloop.tasks._registry import TaskFamily, TaskInfo, check_options, register_task
from autoloop.tasks.mlpipeline._data import find_file, make_splits
from autoloop.tasks.mlpipeline._feedback import feedback_text
from autoloop.tasks.mlpipeline._presets import PRESETS, Preset
from autoloop.tasks.mlpipeline._problem import METRICS, Problem, resolve_options
from autoloop.tasks.mlpipeline._task import ARTIFACTS, BATCH_SIZES, HORIZONS, CsvTask

__all__ = ["CSV_FAMILY", "FAMILY", "METRICS", "PRESETS", "CsvTask", "Preset", "Problem", "csv_file", "feedback_text", "make_splits"]

_VARIANT = re.compile(r"^[A-Za-z0-9_.-]+$")


def _preset(variant: str) -> Preset:
    if variant not in PRESETS:
        raise UnknownNameError(f"unknown mlpipeline task {variant!r}; choose one of {sorted(PRESETS)}, or csv:<name> for your own CSV")
    return PRESETS[variant]


def _info(metric: Metric) -> TaskInfo:
    return TaskInfo(ARTIFACTS, HORIZONS, BATCH_SIZES, metric)


def _create_preset(variant: str, data: Path | None, options: dict[str, Any]) -> CsvTask:
    check_options(f"mlpipeline:{variant}", options, ())
    return CsvTask(f"mlpipeline:{variant}", _preset(variant).problem(data))


FAMILY = register_task(
    TaskFamily("mlpipeline", tuple(PRESETS), _create_preset, lambda variant: _info(METRICS[_preset(variant).metric]))
)


def csv_file(variant: str, data: Path | None) -> Path:
    """The CSV of ``csv:<variant>``: the file ``data``, or ``<variant>.csv`` in the directory ``data``.

    Raises:
        ConfigError: The variant is not a plain name.
        DataError: No such file.
    """
    if not _VARIANT.match(variant):
        raise ConfigError(f"csv task name {variant!r} must be letters, digits, '_', '.' or '-', e.g. csv:penguins")
    path = find_file(data, f"{variant}.csv", hint=f"pass --data FILE.csv (or a folder holding {variant}.csv; or set AUTOLOOP_DATA)")
    # Only files that say they are CSV: a study's error messages list a file's header row.
    if path.suffix.lower() != ".csv":
        raise DataError(f"csv:{variant} reads a file named *.csv, got {path}; pass --data FILE.csv")
    return path


def _create_csv(variant: str, data: Path | None, options: dict[str, Any]) -> CsvTask:
    path = csv_file(variant, data)
    checked = resolve_options(path, options)
    stem = Path(path).name
    goal = f"Predict the column {checked['target']!r} of {stem} from its other columns."
    return CsvTask(f"csv:{variant}", Problem(path, checked["target"], checked["metric"], f"the CSV file {stem}", goal))


def _given_csv(variant: str, options: dict[str, Any], data: Path | None) -> dict[str, Any]:
    return resolve_options(csv_file(variant, data), options)


def _describe_csv(variant: str, options: dict[str, Any]) -> TaskInfo:
    metric = options.get("metric")
    if metric not in METRICS:
        raise ConfigError(f"csv:{variant} has no resolved metric in its options {options}; resolve them with task_options(name, given, data=...)")
    return _info(METRICS[metric])


CSV_FAMILY = register_task(
    TaskFamily(
        "csv", (), _create_csv, lambda variant: _info(Metric("accuracy|rmse|rmse_log (--metric, or from the target)")), open_variants=True,
        given=_given_csv, describe_given=_describe_csv,
    )
)
