"""RunOutcome: what one loop run produced, the one record of it from the loop to the study.

The loop returns it, an executor sends it in its ``done`` event (with the job's task options
and the test curve it scored), the controller's ``RunRecord`` holds it. Its fields are
declared and serialized here alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from autoloop.errors import ConfigError
from autoloop.failures import FailureTally


@dataclass(frozen=True)
class Revalidation:
    """A finished run's returned artifact scored once on the revalidation split, and the cost.

    Args:
        scores: Its score on each revalidation instance, in split order (internal units).
        evaluations: Candidate evaluations made (one per instance).
        tokens: LLM tokens the task spent on them (its traces' ``TASK_TOKENS``; part of the run's tokens).
        seconds: Wall time of the re-validation.
    """

    scores: tuple[float, ...] = ()
    evaluations: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @property
    def score(self) -> float | None:
        """Mean over the instances, or ``None`` for a task without revalidation instances."""
        return sum(self.scores) / len(self.scores) if self.scores else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (checkpoints keep it)."""
        return {**asdict(self), "scores": list(self.scores)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Revalidation:
        """The re-validation ``to_dict`` wrote."""
        return cls(**{**data, "scores": tuple(float(v) for v in data["scores"])})


@dataclass(frozen=True)
class RunOutcome:
    """The outcome of one loop run (scores internal: higher is better).

    Args:
        run_id: The run's id (``LoopJob.run_id``; the checkpoint key).
        settings: Its ``LoopSettings`` fields, seed included.
        best_val: Best validation score.
        test: Test score of the best artifact, when the run scored test.
        optimizer: The optimizer that ran (``local``, ``llm``, a plug-in's name).
        curve: ``(iteration, validation)`` points, in order.
        iterations: Iterations the run took.
        tokens: Every LLM token of the run: the optimizer's and the task's own (an executor's,
            its re-validation's and test curve's included).
        stopped: Why it ended early (``patience``, ``stopped`` = from outside, ``skips``), if it did.
        failures: Candidate evaluations, how many failed (crash, timeout, sandbox refusal,
            invalid output) and the most frequent messages.
        skipped_updates: Updates the optimizer could not make (unusable LLM replies, a prompt
            too long for the model's context); the run went on without them.
        skip_reasons: Why the latest skipped updates were skipped, oldest first.
        prompt_tokens: The optimizer's prompt tokens; completion_tokens: its completion tokens
            (``tokens`` less both is the task's own; each is priced apart).
        wall_time_s: Wall time of the loop, summed over resumptions.
        best_artifact: The best (returned) artifact's ``Artifact.to_dict()``.
        start_artifact: The starting artifact's ``Artifact.to_dict()`` (what the report diffs against).
        test_curve: ``(iteration, validation, test)`` of the best artifact along a tested run
            (an executor scores it).
        test_scores: The test score on each test instance (empty when test was not scored).
        revalidation: The returned artifact's mean score on the revalidation split, scored once
            at the run's end; ``None`` for a run stopped from outside. What runs are ranked by:
            neither the optimizer nor the checkpoint choice read that split.
        revalidation_scores: Its score on each revalidation instance.
        revalidation_evaluations: Candidate evaluations the re-validation made.
        revalidation_tokens: LLM tokens the task spent on it (part of ``tokens``, so charged).
        revalidation_seconds: Its wall time (part of ``wall_time_s``).
        task_options: The task options the run used (e.g. the Atari evaluation protocol).
    """

    run_id: str
    settings: dict[str, Any]
    best_val: float
    test: float | None = None
    optimizer: str = ""
    curve: tuple[tuple[int, float], ...] = ()
    iterations: int = 0
    tokens: int = 0
    stopped: str | None = None
    failures: FailureTally = field(default_factory=FailureTally)
    skipped_updates: int = 0
    skip_reasons: tuple[str, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_time_s: float = 0.0
    best_artifact: dict[str, Any] = field(default_factory=dict, repr=False)
    start_artifact: dict[str, Any] = field(default_factory=dict, repr=False)
    test_curve: tuple[tuple[int, float, float], ...] = ()
    test_scores: tuple[float, ...] = field(default=(), repr=False)
    revalidation: float | None = None
    revalidation_scores: tuple[float, ...] = field(default=(), repr=False)
    revalidation_evaluations: int = 0
    revalidation_tokens: int = 0
    revalidation_seconds: float = 0.0
    task_options: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """The run's seed (from ``settings``)."""
        return int(self.settings["seed"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``from_dict`` reads it back."""
        data = asdict(self)
        data["failures"] = self.failures.to_dict()
        for name in _SEQUENCES:
            data[name] = [list(p) if isinstance(p, tuple) else p for p in data[name]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOutcome:
        """The outcome ``to_dict`` wrote, also as a ``RunResult`` of an earlier autoloop wrote it
        (with a ``seed`` beside ``settings``); an unknown field is an error naming it."""
        values = {k: v for k, v in data.items() if k != "seed"}
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"malformed run outcome: unknown fields {sorted(unknown)}")
        for name in ("run_id", "settings", "best_val"):
            if name not in values:
                raise ConfigError(f"malformed run outcome: missing {name!r}")
        values["curve"] = tuple((int(i), float(v)) for i, v in values.get("curve", ()))
        values["test_curve"] = tuple((int(i), float(v), float(t)) for i, v, t in values.get("test_curve", ()))
        values["skip_reasons"] = tuple(values.get("skip_reasons", ()))
        for name in ("revalidation_scores", "test_scores"):
            values[name] = tuple(float(v) for v in values.get(name, ()))
        if "failures" in values:
            values["failures"] = FailureTally.from_dict(values["failures"])
        return cls(**values)


_SEQUENCES = ("curve", "test_curve", "skip_reasons", "revalidation_scores", "test_scores")
