"""The tabular task: fit a candidate scikit-learn pipeline on folds of a CSV, score held-out rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autoloop.artifact import Artifact
from autoloop.sandbox import Limits, Sandbox
from autoloop.tasks._base import Task
from autoloop.tasks.mlpipeline import _runner
from autoloop.tasks.mlpipeline._data import FOLDS, load_frame, make_splits
from autoloop.tasks.mlpipeline._feedback import feedback_text
from autoloop.tasks.mlpipeline._problem import METRICS, Problem
from autoloop.tasks.mlpipeline._scoring import scoring_for
from autoloop.trace import Instance, Split, Step, Trace, failed_trace

TIMEOUT_S = 120
MEMORY_MB = 3072
ARTIFACTS = ("many_functions", "one_function")
HORIZONS = (1,)
BATCH_SIZES = (1, 3, 5)
# Splits scored row by row: one instance per row (so a score has an interval over rows), one fit per batch.
ROW_SPLITS = ("test", "revalidation")

BACKGROUND = """\
Goal: improve a scikit-learn pipeline for {title}.
{goal}
Metric: {metric_text}
Each training trace fits the pipeline on one fold of the training rows and scores the fold's
held-out rows; validation fits on all training rows and scores the validation rows.
Interface: the code is called with x and test_data (pandas DataFrames of the raw columns,
target removed) and y (a pandas Series of {target} aligned with x); the argument task is the
string "{metric}". Predictions must be one value per test_data row, in order: {prediction}.
Only numpy, pandas and scikit-learn are available; a fit must finish within {timeout} s.
Columns: {columns}.
"""


class CsvTask(Task):
    """A learning loop over a scikit-learn pipeline for one labeled CSV (``csv:<name>`` and the MLAgentBench presets).

    Train instances are ``FOLDS`` folds of the train split (a rollout fits on the fold's
    training part and scores its held-out part); ``val`` is one instance (fit on the whole
    train split, score the val rows). ``test`` and ``revalidation`` (rows carved from the
    training rows, see ``make_splits``) have one instance per row, so their scores come per
    row with an interval over rows: ``rollouts`` fits once on the train split per batch and
    scores each row by ``Scoring.per_row`` (correct or not; for RMSE the row's delta-method
    value), whose mean over the split is the metric. Candidate code runs in a sandbox the
    task creates on first use and closes in ``close``; it computes predictions, the task
    checks and scores them.

    Args:
        name: Registered name, ``family:variant``.
        problem: The CSV, its target and metric.
        limits: Sandbox limits of one fit (default: ``TIMEOUT_S`` seconds, ``MEMORY_MB`` MiB).

    Raises:
        DataError: The CSV lacks the target, or its rows cannot be split.
    """

    policy_family = "csv"
    artifacts = ARTIFACTS
    horizons = HORIZONS
    batch_sizes = BATCH_SIZES
    own_revalidation = True

    def __init__(self, name: str, problem: Problem, *, limits: Limits | None = None) -> None:
        self.name, self.problem = name, problem
        self.metric = METRICS[problem.metric]
        self.limits = limits or Limits(timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB)
        frame = load_frame(problem.path, problem.target)
        self.x = frame.drop(columns=problem.target)
        self.y = frame[problem.target]
        self.splits = make_splits(self.y, problem.kind)
        self.scoring = scoring_for(problem.metric, self.y, problem.target)
        self.failure_score = self.scoring.failure_score
        self.background = self._background()
        self._sandbox: Sandbox | None = None

    def _background(self) -> str:
        metric_text, prediction = self.scoring.describe()
        text = BACKGROUND.format(
            title=self.problem.title,
            goal=self.problem.goal,
            metric_text=metric_text,
            target=self.problem.target,
            metric=self.problem.metric,
            prediction=prediction,
            timeout=round(self.limits.timeout_s),
            columns=", ".join(map(str, self.x.columns)),
        )
        return text + self.problem.notes

    def split(self, name: Split) -> Sequence[Instance]:
        if name == "train":
            return [Instance(f"fold-{i}", "train", i) for i in range(len(self.splits.folds))]
        if name == "val":
            return [Instance("val", "val")]
        if name in ROW_SPLITS:
            return [Instance(f"{name}-{row}", name, int(row)) for row in getattr(self.splits, name)]
        raise ValueError(f"unknown split {name=}; use 'train', 'val', 'test' or 'revalidation'")

    def rows(self, instance: Instance) -> tuple[np.ndarray, np.ndarray]:
        """``(fit_rows, scored_rows)`` of an instance, positions in the labeled frame."""
        if instance.split == "train":
            return self.splits.folds[instance.data]
        if instance.split in ROW_SPLITS:
            return self.splits.train, np.asarray([instance.data])
        return self.splits.train, self.splits.val

    def step_input(self, instance: Instance) -> str:
        """The step input shown to the optimizer: what was fit and what was scored."""
        fit, scored = self.rows(instance)
        where = f"fold {instance.data + 1} of {FOLDS} of the training rows" if instance.split == "train" else f"the {instance.split} split"
        return f"{self.name}: fit on {len(fit)} rows, predict {len(scored)} held-out rows ({where})"

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        if instance.split in ROW_SPLITS:
            return self._score_rows(artifact, [instance])[0]
        fit, scored = self.rows(instance)
        predictions, seconds = self.predict(artifact, fit, scored)
        if isinstance(predictions, str):
            return failed_trace(instance, predictions, score=self.failure_score)
        metrics: dict[str, Any] = {**self.scoring.measure(self.y.iloc[scored], predictions), "fit_seconds": round(seconds, 3)}
        score = max(self.scoring.score_of(metrics), self.failure_score)
        feedback = feedback_text(self.problem.metric, metrics)
        step = Step(self.step_input(instance), self.scoring.summarize(predictions, metrics), feedback, reward=score)
        return Trace(instance.id, instance.split, (step,), score, feedback=feedback, metrics=metrics)

    def rollouts(self, artifact: Artifact, instances: Sequence[Instance], horizon: int | None) -> list[Trace]:
        """Rows of a test or revalidation batch share one fit per split; folds and val fit one each."""
        scored: dict[str, Trace] = {}
        for name in ROW_SPLITS:
            group = [inst for inst in instances if inst.split == name]
            if group:
                scored.update((t.instance_id, t) for t in self._score_rows(artifact, group))
        return [scored[inst.id] if inst.id in scored else self.rollout(artifact, inst, horizon) for inst in instances]

    def _score_rows(self, artifact: Artifact, group: Sequence[Instance]) -> list[Trace]:
        """One trace per row of ``group`` (rows of one split) from a single fit on the train split,
        each scored by ``Scoring.per_row`` over the group: the traces' mean is the group's metric."""
        scored = np.asarray([inst.data for inst in group])
        predictions, _ = self.predict(artifact, self.splits.train, scored)
        if isinstance(predictions, str):
            return [failed_trace(inst, predictions, score=self.failure_score) for inst in group]
        scores = self.scoring.per_row(self.y.iloc[scored], predictions)
        steps = [Step(f"{self.name}: row {inst.data} of the {inst.split} split", repr(value), reward=float(score))
                 for inst, value, score in zip(group, predictions.tolist(), scores, strict=True)]
        return [Trace(inst.id, inst.split, (step,), step.reward) for inst, step in zip(group, steps, strict=True)]

    def predict(self, artifact: Artifact, fit: np.ndarray, scored: np.ndarray) -> tuple[np.ndarray | str, float]:
        """The candidate's checked predictions for the ``scored`` rows after fitting on ``fit``
        (or why there are none), and the sandboxed call's seconds."""
        payload = {
            "x": self.x.iloc[fit].reset_index(drop=True),
            "y": self.y.iloc[fit].reset_index(drop=True),
            "test_data": self.x.iloc[scored].reset_index(drop=True),
            "task": self.problem.metric,
            "staged": set(_runner.STAGES) <= set(artifact.parameters),
        }
        outcome = self.sandbox().call(_runner.ENTRY, artifact.source, payload)
        if not outcome.ok:
            return outcome.error or "the sandboxed fit failed", outcome.duration_s
        return self.scoring.check(outcome.value), outcome.duration_s

    def sandbox(self) -> Sandbox:
        """The task's sandbox, started on first use (forks a child with the ML modules loaded)."""
        if self._sandbox is None:
            self._sandbox = Sandbox(limits=self.limits, preload=_runner.PRELOAD)
        return self._sandbox

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
