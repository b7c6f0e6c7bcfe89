"""CurveFitTask: the candidate's ``predict(x)`` runs confined; the task scores it against a hidden curve."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.sandbox import Limits, Sandbox
from autoloop.tasks import Metric, Task
from autoloop.trace import Instance, Split, Step, Trace, failed_trace

# The hidden targets, by variant; only the trusted side ever computes them.
CURVES: dict[str, Callable[[float], float]] = {
    "quadratic": lambda x: 0.5 * x * x - 2.0 * x + 1.0,
    "wave": lambda x: 2.0 * math.sin(x) + 0.5 * x,
}
# Points per instance; instances per split.
POINTS = 8
INSTANCES: dict[Split, int] = {"train": 6, "val": 2, "test": 2, "revalidation": 2}
ENTRY = "autoloop_curvefit._entry:predict_all"


class CurveFitTask(Task):
    """Fit ``predict(x)`` to a hidden curve; score = minus the mean absolute error.

    An instance is ``POINTS`` x values; one step per point, so a credit horizon of ``h`` shows
    the optimizer the first ``h`` points of a training rollout.

    Args:
        variant: Which hidden curve (a key of ``CURVES``).
    """

    artifact_dir = Path(__file__).parent / "starting"
    artifacts = ("linear", "constant")
    horizons = (1, 4)
    batch_sizes = (1, 2, 4)
    metric = Metric("mae", higher_is_better=False)
    background = (
        "Write predict(x) for x in [-4, 4] so that it matches a hidden smooth curve. "
        "Each step shows an x, your prediction and the target."
    )
    failure_score = -1000.0
    own_revalidation = True  # split() answers "revalidation" itself (else half of test is held back)

    def __init__(self, variant: str) -> None:
        self.name = f"curvefit:{variant}"
        self.curve = CURVES[variant]
        self.sandbox = Sandbox(limits=Limits(timeout_s=10, memory_mb=512))

    def split(self, name: Split) -> Sequence[Instance]:
        # Disjoint, deterministic x values: split k of instance i takes every 30th point of a fine grid.
        offset = {"train": 0, "val": 100, "revalidation": 150, "test": 200}[name]
        return [
            Instance(f"{name}-{i}", name, [round(-4 + 8 * ((offset + i * POINTS + j) * 37 % 300) / 300, 3) for j in range(POINTS)])
            for i in range(INSTANCES[name])
        ]

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        xs = instance.data if horizon is None else instance.data[:horizon]
        outcome = self.sandbox.call(ENTRY, artifact.source, xs)  # confined: the candidate computes
        if not outcome.ok:
            return failed_trace(instance, outcome.error or "the evaluation failed", score=self.failure_score)
        predictions = outcome.value
        # Trusted from here: check what came back, then score it.
        if not (isinstance(predictions, list) and len(predictions) == len(xs) and all(math.isfinite(p) for p in predictions)):
            return failed_trace(instance, f"predict must return a finite number for each x, got {predictions!r:.200}", score=self.failure_score)
        steps = []
        for x, predicted in zip(xs, predictions, strict=True):
            target = self.curve(x)
            error = abs(predicted - target)
            steps.append(Step(f"x={x}", f"{predicted:.3f}", f"target {target:.3f}, off by {error:.3f}", reward=-error))
        mae = sum(-s.reward for s in steps) / len(steps)
        worst = min(steps, key=lambda s: s.reward)
        feedback = f"mean absolute error {mae:.3f} over {len(steps)} points; worst at {worst.input}: {worst.feedback}"
        return Trace(instance.id, instance.split, tuple(steps), -mae, feedback=feedback, metrics={"mae": mae})

    def close(self) -> None:
        self.sandbox.close()
