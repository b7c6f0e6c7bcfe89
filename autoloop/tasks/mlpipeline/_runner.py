"""Trusted entry functions that run inside the sandbox: build the candidate, fit, predict.

The sandbox calls ``fit_and_predict`` in a forked child. It never sees the held-out labels:
it gets the fit rows with their labels and the rows to predict, and returns one plain value
per row to predict (a label or a number); the parent checks and scores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from autoloop.sandbox import candidate_function, exec_candidate

# Modules the sandbox imports once before forking, so a fit does not pay for them.
PRELOAD = (
    "numpy",
    "pandas",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_selection",
    "sklearn.model_selection",
    "sklearn.metrics",
)
STAGES = ("preprocess", "select_features", "train_model", "predict")


def fit_and_predict(source: str, payload: Mapping[str, Any]) -> list[Any]:
    """Execute ``source`` and run its pipeline on ``payload``.

    Args:
        source: The candidate module.
        payload: ``x`` (fit features), ``y`` (fit labels), ``test_data`` (rows to predict),
            ``task`` (the metric: ``accuracy``, ``rmse`` or ``rmse_log``), ``staged`` (call the
            four ``STAGES`` in order instead of one ``train_model``).

    Returns:
        One prediction per ``test_data`` row, as plain Python values.
    """
    return run_pipeline(exec_candidate(source), payload)


# What the task passes to ``Sandbox.call``.
ENTRY = f"{__name__}:{fit_and_predict.__name__}"


def run_pipeline(namespace: Mapping[str, Any], payload: Mapping[str, Any]) -> list[Any]:
    """Call the candidate's functions: the four ``STAGES`` if ``staged``, else one ``train_model``.

    Raises:
        TypeError: A required function is missing or the predictions have the wrong shape.
    """
    x, y, test_data, task = payload["x"], payload["y"], payload["test_data"], payload["task"]
    if payload["staged"]:
        preprocess, select, train, predict = (candidate_function(namespace, name) for name in STAGES)
        x_fit, x_new = preprocess(x.copy(), test_data.copy(), task)
        x_fit, x_new = select(x_fit, y.copy(), x_new, task)
        model = train(x_fit, y.copy(), task)
        predictions = predict(model, x_new, task)
    else:
        predictions = candidate_function(namespace, "train_model")(x.copy(), y.copy(), test_data.copy(), task)
    import pandas as pd  # in PRELOAD: already imported in the sandbox; not imported with the task registry

    values = np.ravel(np.asarray(predictions.to_numpy() if isinstance(predictions, pd.Series | pd.DataFrame) else predictions))
    if len(values) != len(test_data):
        raise TypeError(f"expected {len(test_data)} predictions (one per test_data row), got {len(values)}")
    # Numpy scalars (also inside object arrays) become Python ones: plain data for the parent to check.
    return [v.item() if isinstance(v, np.generic) else v for v in values.tolist()]

