"""The Task base class: splits of instances, starting artifacts, a rollout and a score."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.errors import ConfigError, UnknownNameError
from autoloop.policies import load_artifact, load_policy
from autoloop.trace import Instance, Split, Trace


@dataclass(frozen=True)
class Metric:
    """How a task's internal score (higher is better) reads to a person.

    Args:
        name: Metric name as reported, e.g. ``accuracy`` or ``rmse_log``.
        higher_is_better: False when the task negates an error to get its score.
    """

    name: str
    higher_is_better: bool = True

    def display(self, score: float) -> float:
        """The metric value a person expects (RMSE positive again)."""
        return score if self.higher_is_better else -score

    @property
    def direction(self) -> str:
        """The metric and which way is better, e.g. ``rmse, lower is better``."""
        return f"{self.name}, {'higher' if self.higher_is_better else 'lower'} is better"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: name, direction flag and the direction in words."""
        return {"name": self.name, "higher_is_better": self.higher_is_better, "direction": self.direction}


class Task(abc.ABC):
    """A problem a learning loop optimizes an artifact for.

    Subclasses set the class attributes and implement ``split`` and ``rollout``. The test
    split is only ever scored by ``evaluate`` at the end of a loop run.

    Re-validation: a fourth split, ``revalidation``, scores each finished run's returned
    artifact once, so runs are ranked by what they return on data neither the optimizer nor
    the loop's checkpoint choice read. It is fixed for the task (the same instances for
    every run and seed) and disjoint from train, val and test. A task whose ``split``
    answers ``"revalidation"`` itself sets ``own_revalidation = True`` (the built-in
    families do); otherwise ``instances`` holds back every second instance of
    ``split("test")`` for it (relabelled ``revalidation``) and test keeps the rest.
    The loop reads splits only through ``instances``. The starting
    artifacts are files, ``<name>.py`` or ``<name>.txt``, in ``artifact_dir`` (a folder
    anywhere, e.g. next to the plug-in's module); override ``starting_artifact`` to build
    them otherwise. The guide, ``docs/tasks.md``, walks through a complete plug-in.

    The evaluation boundary: candidates compute, the task scores. ``rollout`` runs in the
    trusted process and splits its work in two.

    - Confined: only the candidate's computation, through ``autoloop.sandbox`` (``call`` for
      one result, ``session`` for a step-by-step exchange). The child gets, as arguments,
      exactly the inputs the candidate may use (features, observations, LLM replies), never
      what it is scored against (held-out labels, rewards, targets) and never a path to
      data: the sandbox hides data directories from the child.
    - Trusted: everything that decides the score. The task checks every value the child
      returns (shape, type, allowed actions; a bad one is a failed trace with the reason)
      and computes the metric, the feedback and the ``Trace`` itself. Anything the child
      could reach (its own interpreter's frames, ``gc``, globals) must hold no score.

    Built-in examples: the ML pipeline returns predictions that the task scores against the
    held-out labels; Atari keeps the emulator and reward accounting here and asks a sandbox
    session for each action; BBEH runs ``extract_answer`` confined and matches the target here.

    Attributes:
        name: Registered name, ``family:variant`` (see ``TASK_NAME_PATTERN``).
        artifact_dir: Folder holding the starting artifacts as ``<name>.py|.txt`` files.
        policy_family: For built-in tasks without ``artifact_dir``: their folder under ``autoloop/policies``.
        artifacts: Names of the starting artifacts.
        horizons: Credit horizons that make sense (the first is the default).
        batch_sizes: Batch sizes that make sense (the first is the default).
        metric: How scores read.
        background: Task description shown to the optimizer.
        failure_score: Score of a failed evaluation (the floor of the metric).
        own_revalidation: ``split`` answers ``"revalidation"`` itself (else the test pool is halved).
    """

    name: str
    artifact_dir: Path | str | None = None
    policy_family: str = ""
    artifacts: tuple[str, ...]
    horizons: tuple[int, ...] = (1,)
    batch_sizes: tuple[int, ...] = (1,)
    metric: Metric = Metric("score")
    background: str = ""
    failure_score: float = 0.0
    own_revalidation: bool = False

    @abc.abstractmethod
    def split(self, name: Split) -> Sequence[Instance]:
        """The instances of split ``name``; deterministic for the task's data.

        ``"revalidation"`` is asked only of a task with ``own_revalidation``.
        """

    def instances(self, name: Split) -> Sequence[Instance]:
        """The instances of split ``name`` as loop runs read them (see re-validation above)."""
        if self.own_revalidation or name not in ("test", "revalidation"):
            return self.split(name)
        pool = self.split("test")
        if name == "test":
            return pool[::2] if len(pool) > 1 else pool
        return [replace(inst, split="revalidation") for inst in pool[1::2]]

    @abc.abstractmethod
    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        """Run ``artifact`` on ``instance`` and return its trace.

        Args:
            artifact: The revision to run (candidate code runs sandboxed).
            instance: What to run it on.
            horizon: Steps to run for a training update, or ``None`` for a full evaluation.
        """

    def rollouts(self, artifact: Artifact, instances: Sequence[Instance], horizon: int | None) -> list[Trace]:
        """Run a batch; override to run instances concurrently."""
        return [self.rollout(artifact, inst, horizon) for inst in instances]

    def evaluation_tokens(self, traces: Sequence[Trace]) -> int:
        """LLM tokens the task itself spent producing ``traces`` (an executor LLM's; default none)."""
        return 0

    def evaluate(self, artifact: Artifact, split: Split) -> float:
        """Mean score of full rollouts over a split."""
        traces = self.rollouts(artifact, self.instances(split), None)
        return sum(t.score for t in traces) / len(traces)

    def starting_artifact(self, name: str) -> Artifact:
        """Load one of ``artifacts`` from its file in ``artifact_dir`` (or the built-in ``policy_family``).

        Raises:
            UnknownNameError: ``name`` is not one of ``artifacts``, or its file is missing.
            ConfigError: The task declares neither ``artifact_dir`` nor ``policy_family``.
        """
        if name not in self.artifacts:
            raise UnknownNameError(f"task {self.name!r} has no starting artifact {name!r}; choose one of {list(self.artifacts)}")
        if self.artifact_dir is not None:
            return load_artifact(self.artifact_dir, name)
        if not self.policy_family:
            raise ConfigError(
                f"task {self.name!r} declares no artifact_dir: set it to the folder holding {name}.py "
                "(or override starting_artifact)"
            )
        return load_policy(self.policy_family, name)

    def reset(self) -> None:  # noqa: B027 - optional hook, most tasks keep nothing per run
        """Forget whatever a run left behind, so the next run sees a freshly built task.

        Workers reuse a task, with the processes it holds, across loop runs of different
        studies; a task that remembers something during a run (episode positions, outputs
        of candidate code) clears it here.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most tasks hold nothing
        """Release processes or connections the task holds."""
