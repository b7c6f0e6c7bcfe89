"""Trusted entry function that runs inside the sandbox: build the candidate, compute its outputs.

The child gets only the inputs (the x values), never the targets; it returns one number per x
and the task, in the parent process, checks and scores them.
"""

from __future__ import annotations

from autoloop.sandbox import candidate_function, exec_candidate


def predict_all(source: str, xs: list[float]) -> list[float]:
    """``predict(x)`` of the candidate ``source`` for every x (a non-number raises: a failed evaluation)."""
    predict = candidate_function(exec_candidate(source), "predict")
    return [float(predict(x)) for x in xs]
