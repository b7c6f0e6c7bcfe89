"""A tiny real task for loop tests: tune constants so ``guess(x)`` returns 3*x + 7.

Candidate code runs with ``exec`` in-process: the code is the test's own policy, never
untrusted input. Every rollout is recorded so tests can check which splits it touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from autoloop.artifact import Artifact
from autoloop.executors import LoopJob, RunTemplate
from autoloop.llm import Endpoint, LLMConfig
from autoloop.policies import artifact_from_python
from autoloop.tasks import Metric, Task, TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Split, Step, Trace, failed_trace

POLICY = '''"""Return a number close to the hidden target for input x."""

def guess(x):
    slope = 1.0
    offset = 1.0
    return slope * x + offset
'''


class ToyTask(Task):
    """Score = -|guess(x) - (3x + 7)|, averaged; instances are x values."""

    name = "toy:linear"
    policy_family = "toy"
    artifacts = ("start",)
    horizons = (1,)
    batch_sizes = (1, 2)
    metric = Metric("neg_abs_error")
    background = "Make guess(x) equal the hidden linear target."
    failure_score = -1000.0

    def __init__(self) -> None:
        self.rollout_log: list[Instance] = []
        self.xs = {"train": range(8), "val": range(8, 12), "test": range(12, 16)}

    def split(self, name: Split) -> Sequence[Instance]:
        return [Instance(f"{name}-{x}", name, x) for x in self.xs[name]]

    def starting_artifact(self, name: str) -> Artifact:
        if name not in self.artifacts:
            return super().starting_artifact(name)  # raises, naming the choices
        return artifact_from_python(name, POLICY)

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        self.rollout_log.append(instance)
        namespace: dict[str, object] = {}
        try:
            exec(artifact.source, namespace)
            out = namespace["guess"](instance.data)  # type: ignore[operator]
        # A candidate's code may raise anything; as for sandboxed tasks, that is a failed trace, not an error.
        except Exception as exc:  # noqa: BLE001 - reported in the trace
            return failed_trace(instance, f"{type(exc).__name__}: {exc}", score=self.failure_score)
        error = abs(out - (3 * instance.data + 7))
        step = Step(input=str(instance.data), output=str(out), feedback=f"off by {error:.2f}", reward=-error)
        return Trace(instance.id, instance.split, (step,), -error, feedback=step.feedback)


BROKEN_POLICY = '''"""A candidate that always fails, as one whose output is out of range would."""

def guess(x):
    scale = 1.0
    raise ValueError("act returned 2; return an int in 0..1")
'''


class BrokenToyTask(ToyTask):
    """``toy:linear`` whose starting artifact raises on every input, whatever its constants."""

    name = "toy:broken"

    def starting_artifact(self, name: str) -> Artifact:
        return artifact_from_python(name, BROKEN_POLICY) if name in self.artifacts else super().starting_artifact(name)


_TOYS: dict[str, type[ToyTask]] = {"linear": ToyTask, "broken": BrokenToyTask}
register_task(TaskFamily("toy", tuple(_TOYS), lambda variant, data_dir, options: _TOYS[variant](), lambda variant: TaskInfo.of(_TOYS[variant])))


def local_template(task: str = "toy:linear") -> RunTemplate:
    """A template for ``task`` with the offline ``local`` optimizer and no endpoint, whatever the environment."""
    return RunTemplate(task=task, data_dir=None, task_options={}, optimizer="local", endpoint=Endpoint.of(LLMConfig()))


def local_job(run_id: str, task: str = "toy:linear", *, score_test: bool = True, **settings: object) -> LoopJob:
    """A ``local_template`` job; ``LoopSettings`` defaults fill the settings not given."""
    return local_template(task).job(run_id, {"starting_artifact": "start", **settings}, score_test=score_test)
