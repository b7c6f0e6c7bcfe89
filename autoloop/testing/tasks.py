"""The contract every registered ``Task`` keeps, as a pytest class to run against a task family.

Example:
    >>> class TestMyTask(TaskContract):  # doctest: +SKIP
    ...     @pytest.fixture(scope="class")
    ...     def task_case(self):
    ...         return TaskCase("mine:small", create=lambda: get_task("mine:small", data_dir=DATA))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from autoloop.artifact import Artifact
from autoloop.errors import UnknownNameError
from autoloop.tasks import Task, TaskInfo, describe_task
from autoloop.testing._pytest import pytest
from autoloop.trace import SPLITS, Trace

__all__ = ["TaskCase", "TaskContract", "check_describe_agrees", "raising_candidate", "task_case"]

FAILURE_MESSAGE = "contract check: this candidate always raises"


def raising_candidate(artifact: Artifact) -> Artifact:
    """``artifact`` with every editable function replaced by one that raises when called.

    Raises:
        ValueError: ``artifact`` is not a Python artifact; give ``TaskCase`` its own ``failing_artifact``.
    """
    if artifact.kind != "python":
        raise ValueError(f"raising_candidate needs a python artifact, got {artifact.kind=}; pass TaskCase(failing_artifact=...)")
    updates = {
        name: f"def {name}(*args, **kwargs):\n    raise RuntimeError({FAILURE_MESSAGE!r})\n" for name in sorted(artifact.editable)
    }
    return artifact.with_updates(updates)


@dataclass(frozen=True)
class TaskCase:
    """One task variant under test.

    Args:
        name: Registered name, ``family:variant``.
        create: Builds a fresh task of that name (data directory, options and endpoints bound).
        failing_artifact: A candidate of the task whose code raises (default: the first
            starting artifact through ``raising_candidate``).
        options: The options ``create`` builds with, for a family whose declarations depend
            on them (``describe_task(name, options)``; e.g. a CSV task's metric).
    """

    name: str
    create: Callable[[], Task]
    failing_artifact: Callable[[Task], Artifact] | None = None
    options: dict[str, Any] | None = None

    def failing(self, task: Task) -> Artifact:
        """The failing candidate for ``task``."""
        if self.failing_artifact is not None:
            return self.failing_artifact(task)
        return raising_candidate(task.starting_artifact(task.artifacts[0]))


@pytest.fixture(scope="class")
def task_case() -> TaskCase:
    """Override in the test module (class scope or wider): a ``TaskCase``."""
    # The suite's only hook: a test module that subclasses the contract defines this fixture.
    pytest.fail(f"{__name__}: define a `task_case` fixture in your test module returning a TaskCase")


def check_describe_agrees(name: str, task: Task, options: dict[str, Any] | None = None) -> None:
    """``describe_task(name, options)`` announces what the built ``task`` declares (pass the
    resolved options of a family whose declarations depend on them)."""
    described = describe_task(name, options)
    assert described == TaskInfo.of(task), f"{name}: describe() says {described}, the task declares {TaskInfo.of(task)}"
    assert task.name == name


def _check_trace(trace: Trace, instance_id: str, split: str) -> None:
    assert isinstance(trace, Trace)
    assert (trace.instance_id, trace.split) == (instance_id, split)
    assert isinstance(trace.score, float) and math.isfinite(trace.score), trace.score


class TaskContract:
    """What every task guarantees; needs a class-scoped ``task_case`` fixture (a ``TaskCase``)."""

    @pytest.fixture(scope="class")
    @classmethod
    def task(cls, task_case: TaskCase) -> Iterator[Task]:
        """One task for the class's checks (building one can be costly), closed at the end."""
        task = task_case.create()
        yield task
        task.close()  # after rollouts: releases what the task started (sandbox, connections)
        task.close()  # close() is idempotent

    def test_splits_are_non_empty_deterministic_and_disjoint(self, task_case: TaskCase, task: Task) -> None:
        """Every split, revalidation included, as loop runs read them (``Task.instances``)."""
        ids = {split: [inst.id for inst in task.instances(split)] for split in SPLITS}
        for split, names in ids.items():
            hint = " (a task without its own revalidation split needs >= 2 test instances)" if split == "revalidation" else ""
            assert names, f"split {split} is empty{hint}"
            assert len(set(names)) == len(names), f"split {split} repeats instance ids"
            assert all(inst.split == split for inst in task.instances(split))
            assert [inst.id for inst in task.instances(split)] == names, f"split {split} changes between calls"
        for i, first in enumerate(SPLITS):
            for second in SPLITS[i + 1 :]:
                shared = set(ids[first]) & set(ids[second])
                assert not shared, f"splits {first} and {second} share instances {sorted(shared)[:5]}"
        other = task_case.create()
        try:
            assert {split: [inst.id for inst in other.instances(split)] for split in SPLITS} == ids, "splits differ between builds"
        finally:
            other.close()

    def test_revalidation_scores_the_same_instances_for_every_artifact(self, task: Task) -> None:
        """Fixed for the task, so runs of every setting and seed are re-scored on the same instances."""
        instances = list(task.instances("revalidation"))
        start = task.starting_artifact(task.artifacts[0])
        traces = task.rollouts(start, instances, None)
        assert [(t.instance_id, t.split) for t in traces] == [(inst.id, "revalidation") for inst in instances]
        for trace in traces:
            _check_trace(trace, trace.instance_id, "revalidation")
        assert list(task.instances("revalidation")) == instances
        assert task.evaluation_tokens(traces) >= 0

    def test_every_declared_starting_artifact_loads(self, task: Task) -> None:
        assert task.artifacts
        for name in task.artifacts:
            artifact = task.starting_artifact(name)
            assert isinstance(artifact, Artifact) and artifact.editable, name
        with pytest.raises(UnknownNameError):
            task.starting_artifact("no-such-artifact")

    def test_describe_agrees_with_the_built_task(self, task_case: TaskCase, task: Task) -> None:
        check_describe_agrees(task_case.name, task, task_case.options)
        assert task.horizons and task.batch_sizes and all(h >= 1 for h in task.horizons)

    def test_rollout_of_the_starting_artifact_traces_the_instance(self, task: Task) -> None:
        instance = task.split("train")[0]
        trace = task.rollout(task.starting_artifact(task.artifacts[0]), instance, task.horizons[0])
        _check_trace(trace, instance.id, "train")
        assert not trace.failed, trace.error
        assert trace.score >= task.failure_score

    def test_a_training_rollout_keeps_within_its_horizon(self, task: Task) -> None:
        instance = task.split("train")[-1]
        artifact = task.starting_artifact(task.artifacts[0])
        for horizon in task.horizons:
            trace = task.rollout(artifact, instance, horizon)
            _check_trace(trace, instance.id, "train")
            assert len(trace.steps) <= horizon, f"horizon {horizon}: {len(trace.steps)} steps"

    def test_evaluate_returns_a_score(self, task: Task) -> None:
        score = task.evaluate(task.starting_artifact(task.artifacts[0]), "val")
        assert isinstance(score, float) and math.isfinite(score)
        assert score >= task.failure_score

    def test_a_failing_candidate_scores_the_failure_score(self, task_case: TaskCase, task: Task) -> None:
        instances = list(task.split("train")[:2])
        traces = task.rollouts(task_case.failing(task), instances, task.horizons[0])
        assert [t.instance_id for t in traces] == [inst.id for inst in instances]
        for trace in traces:
            _check_trace(trace, trace.instance_id, "train")
            assert trace.failed and trace.error, trace
            assert trace.score == task.failure_score

    def test_close_of_an_unused_task_is_idempotent(self, task_case: TaskCase) -> None:
        task = task_case.create()  # the class's task is closed twice after its rollouts, at teardown
        task.close()
        task.close()
