"""RunResult: what one finished loop run reports, typed, serialized in one place."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from autoloop.errors import ConfigError
from autoloop.failures import FailureTally


@dataclass(frozen=True)
class RunResult:
    """The outcome of one loop run as every executor reports it (scores internal: higher is better).

    Args:
        run_id: The ``LoopJob.run_id``.
        seed: The run's seed (also in ``settings``).
        settings: Its ``LoopSettings`` fields.
        optimizer: The optimizer that ran (``local``, ``llm``, a plug-in's name).
        task_options: The task options the run used (e.g. the Atari evaluation protocol).
        best_val: Best validation score.
        test: Test score of the best artifact, when the job scored test.
        curve: ``(iteration, validation)`` points, in order.
        test_curve: ``(iteration, validation, test)`` of the best artifact along a tested run.
        iterations: Iterations the run took.
        tokens: LLM tokens it spent.
        failures: Candidate evaluations, how many failed (crash, timeout, sandbox refusal,
            invalid output) and the most frequent messages.
        skipped_updates: Updates the optimizer could not make (unusable LLM replies, a prompt
            too long for the model's context); the run went on without them.
        skip_reasons: Why the latest skipped updates were skipped, oldest first.
        wall_time_s: Wall time of the loop, summed over resumptions.
        stopped: Why it ended early (``patience``, ``stopped``, ``skips``), if it did.
        best_artifact: The best artifact's ``Artifact.to_dict()``.
        start_artifact: The starting artifact's ``Artifact.to_dict()`` (what the report diffs against).
        prompt_tokens: The optimizer's prompt tokens; completion_tokens: its completion tokens (``tokens``
            less both is the task's own, an executor's; each is priced apart).
        revalidation: The returned (best) artifact's mean score on the revalidation split,
            scored once at the run's end; ``None`` for a run stopped from outside. What runs
            are ranked by: neither the optimizer nor the checkpoint choice read that split.
        revalidation_scores: Its score on each revalidation instance.
        test_scores: The test score on each test instance (empty when test was not scored).
        revalidation_evaluations: Candidate evaluations the re-validation made.
        revalidation_tokens: LLM tokens the task spent on it (an executor LLM's; part of ``tokens``).
        revalidation_seconds: Its wall time (part of ``wall_time_s``).
    """

    run_id: str
    seed: int
    settings: dict[str, Any]
    optimizer: str
    task_options: dict[str, Any]
    best_val: float
    test: float | None
    curve: tuple[tuple[int, float], ...]
    test_curve: tuple[tuple[int, float, float], ...]
    iterations: int
    tokens: int
    failures: FailureTally
    skipped_updates: int
    skip_reasons: tuple[str, ...]
    wall_time_s: float
    stopped: str | None
    best_artifact: dict[str, Any] = field(repr=False)
    start_artifact: dict[str, Any] = field(repr=False)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    revalidation: float | None = None
    revalidation_scores: tuple[float, ...] = ()
    test_scores: tuple[float, ...] = ()
    revalidation_evaluations: int = 0
    revalidation_tokens: int = 0
    revalidation_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``from_dict`` reads it back."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["curve"] = [list(p) for p in self.curve]
        data["test_curve"] = [list(p) for p in self.test_curve]
        data["skip_reasons"] = list(self.skip_reasons)
        data["revalidation_scores"] = list(self.revalidation_scores)
        data["test_scores"] = list(self.test_scores)
        data["failures"] = self.failures.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """The result ``to_dict`` wrote; a missing or unknown field is an error naming it."""
        names = {f.name for f in fields(cls)}
        missing, unknown = names - set(data), set(data) - names
        if missing or unknown:
            raise ConfigError(f"malformed run result: missing {sorted(missing)}, unknown {sorted(unknown)}")
        values = dict(data)
        values["curve"] = tuple((int(i), float(v)) for i, v in data["curve"])
        values["test_curve"] = tuple((int(i), float(v), float(t)) for i, v, t in data["test_curve"])
        values["skip_reasons"] = tuple(data["skip_reasons"])
        values["revalidation_scores"] = tuple(float(v) for v in data["revalidation_scores"])
        values["test_scores"] = tuple(float(v) for v in data["test_scores"])
        values["failures"] = FailureTally.from_dict(data["failures"])
        return cls(**values)
