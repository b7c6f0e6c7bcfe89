"""``autoloop.run`` and ``autoloop.tune`` on a task object built in the test: no package, no registration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

import autoloop
from autoloop.artifact import Artifact
from autoloop.errors import ConfigError, UnknownNameError
from autoloop.tasks import Metric, Task, task_names
from autoloop.trace import Instance, Split, Step, Trace, failed_trace

START = '''"""Return y for x; the target is a hidden line."""

def predict(x):
    return 1.0 * x + 1.0
'''


class LineTask(Task):
    """Score = -|predict(x) - (2x + 5)|; the candidate runs with exec (the test's own code, trusted)."""

    name = "inproc:line"
    artifacts = ("start",)
    batch_sizes = (1, 2)
    metric = Metric("abs_error", higher_is_better=False)
    background = "Make predict(x) return the hidden line."
    failure_score = -100.0

    def __init__(self, artifact_dir: Path) -> None:
        self.artifact_dir = artifact_dir
        self.closed = False

    def split(self, name: Split) -> Sequence[Instance]:
        xs = {"train": range(6), "val": range(6, 9), "test": range(9, 12)}[name]
        return [Instance(f"{name}-{x}", name, x) for x in xs]

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        namespace: dict[str, object] = {}
        try:
            exec(artifact.source, namespace)
            out = float(namespace["predict"](instance.data))  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - a candidate's error is a failed trace
            return failed_trace(instance, f"{type(exc).__name__}: {exc}", score=self.failure_score)
        error = abs(out - (2 * instance.data + 5))
        step = Step(str(instance.data), str(out), f"off by {error:.2f}", -error)
        return Trace(instance.id, instance.split, (step,), -error, feedback=step.feedback)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def line_task(tmp_path: Path) -> LineTask:
    (tmp_path / "start.py").write_text(START)
    return LineTask(tmp_path)


def test_run_takes_a_task_object_and_its_artifact_from_a_file_anywhere(line_task):
    result = autoloop.run(line_task, iterations=6, batch_size=2, optimizer="local", seed=1)
    assert result.settings["starting_artifact"] == "start" and result.settings["batch_size"] == 2
    assert result.iterations == 6 and result.test is not None
    assert result.best_val >= result.curve[0][1]  # the best never scores below the start
    assert "inproc:line" in task_names()


def test_tune_recommends_a_setting_for_a_task_object(line_task):
    rec = autoloop.tune(
        line_task, budget_iterations=24, iterations=2, seeds=1, top_k=1, final_seeds=1, optimizer="local", space="batch_size=1,2"
    )
    assert rec.settings["starting_artifact"] == "start" and rec.settings["batch_size"] in (1, 2)
    assert rec.metric == Metric("abs_error", higher_is_better=False)
    assert rec.winner.test.n >= 1 and rec.spent["iterations"] <= 24


def test_a_misspelt_artifact_fails_before_the_run(line_task):
    with pytest.raises(UnknownNameError, match=r"choose one of \['start'\]"):
        autoloop.run(line_task, artifact="strat", optimizer="local")


def test_a_task_object_may_not_replace_a_registered_family(tmp_path):
    class Clash(LineTask):
        name = "toy:line"

    with pytest.raises(ConfigError, match="task family 'toy' is already registered"):
        autoloop.run(Clash(tmp_path), optimizer="local")


@pytest.mark.parametrize("name", ["line", "Inproc:line", "inproc:"])
def test_a_task_name_must_be_family_colon_variant(tmp_path, name):
    task = LineTask(tmp_path)
    task.name = name
    with pytest.raises(ConfigError, match="set the task's name to 'family:variant'"):
        autoloop.run(task, optimizer="local")
