"""LoopRun: one inner learning loop with one LoopSettings and one seed."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from autoloop.artifact import Artifact
from autoloop.checkpoints import Checkpoint, CheckpointStore
from autoloop.context import Attempt, build_context
from autoloop.errors import SkippedUpdateError
from autoloop.failures import FailureTally
from autoloop.optimizer import Optimizer
from autoloop.outcome import Revalidation, RunOutcome
from autoloop.settings import LoopSettings
from autoloop.tasks._base import Task
from autoloop.trace import TASK_TOKENS, Instance, Split, Trace


@dataclass(frozen=True)
class RunProgress:
    """What a loop run reports after each iteration.

    Args:
        iteration: The iteration just completed.
        iterations: The planned number of iterations.
        val: The validation score measured this iteration, or ``None`` if none was.
        best_val: Best validation score so far.
        tokens: LLM tokens spent so far.
        failures: Candidate evaluations so far, how many failed and why.
        prompt_tokens: The optimizer's prompt tokens so far; completion_tokens: its completion tokens
            (``tokens`` less both is the task's own, an executor's; each is priced apart).
    """

    iteration: int
    iterations: int
    val: float | None
    best_val: float
    tokens: int
    failures: FailureTally = field(default_factory=FailureTally)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``from_dict`` reads it back."""
        return {**asdict(self), "failures": self.failures.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunProgress:
        """The progress ``to_dict`` wrote."""
        return cls(**{**data, "failures": FailureTally.from_dict(data["failures"])})


# Skip reasons a result keeps (the latest).
KEPT_SKIP_REASONS = 3
# Return True to stop the run (pruned or cancelled).
RunProgressCallback = Callable[[RunProgress], bool | None]


def batch_for(instances: Sequence[Instance], batch_size: int, iteration: int, seed: int) -> list[Instance]:
    """The training batch of ``iteration`` (1-based): epochs of seeded shuffles, cycled.

    Pure in its arguments, so a resumed run draws the same batches it would have drawn.
    """
    n = len(instances)
    out: list[Instance] = []
    start = (iteration - 1) * batch_size
    for pos in range(start, start + batch_size):
        epoch, offset = divmod(pos, n)
        order = list(range(n))
        random.Random(seed * 1_000_003 + epoch).shuffle(order)
        out.append(instances[order[offset]])
    return out


class LoopRun:
    """Iterate, validate, keep the best-by-validation artifact, stop on a plateau, re-validate
    the best once, score test once.

    Sealed splits: the optimizer sees train traces only; the best artifact is chosen on val
    alone. A run that ends by itself (its iterations, patience, skips) scores its best
    artifact once on the revalidation split, then (with ``score_test``) once on test; a run
    stopped from outside (pruned, cancelled) does neither.

    An update the optimizer cannot make for a reason of its own (``SkippedUpdateError``:
    unusable replies, a prompt too long for the model) is skipped with its reason and the run
    goes on from the same artifact; ``LoopSettings.max_skips`` skips in a row end it
    (``stopped="skips"``), its result kept. Any other error propagates.

    Args:
        task: The task to optimize for.
        settings: Loop settings of this run.
        optimizer: Proposes revisions; its state is checkpointed.
        store: Where each iteration's checkpoint goes (``None`` = no checkpoints).
        run_id: Key of this run in ``store``; an existing checkpoint is resumed.
        callback: Called after every iteration; returning True stops the run.
        score_test: Score the best artifact on the test split at the end. The tuning
            controller turns this off during its search so test stays locked.
    """

    def __init__(
        self,
        task: Task,
        settings: LoopSettings,
        optimizer: Optimizer,
        *,
        store: CheckpointStore | None = None,
        run_id: str = "run",
        callback: RunProgressCallback | None = None,
        score_test: bool = True,
    ) -> None:
        self.task = task
        self.settings = settings
        self.optimizer = optimizer
        self.store = store
        self.run_id = run_id
        self.callback = callback
        self.score_test = score_test

    def _start(self) -> Checkpoint:
        if self.store is not None:
            saved = self.store.load(self.run_id)
            if saved is not None:
                self.optimizer.load_state(saved.optimizer)
                return saved
        artifact = self.task.starting_artifact(self.settings.starting_artifact)
        state = Checkpoint(0, artifact.to_dict(), artifact.to_dict(), 0.0)
        state.best_val = _mean(self._evaluate(artifact, "val", state))
        state.curve = [[0, state.best_val]]
        self._save(state)
        return state

    def _save(self, state: Checkpoint) -> None:
        state.optimizer = self.optimizer.state()
        if self.store is not None:
            self.store.save(self.run_id, state)

    def run(self) -> RunOutcome:
        """Run (or resume) to the end and return its outcome."""
        began = time.monotonic()
        state = self._start()
        base_elapsed = state.elapsed_s
        train = self.task.instances("train")
        s = self.settings
        while state.test is None and state.stopped is None and state.iteration < s.iterations:
            state.iteration += 1
            val = self._iterate(state, train)
            state.elapsed_s = base_elapsed + time.monotonic() - began
            if s.patience and state.stale >= s.patience:
                state.stopped = "patience"
            if s.max_skips and state.skips_in_a_row >= s.max_skips:
                state.stopped = "skips"
            usage = self.optimizer.usage
            tokens = usage.total_tokens + state.task_tokens
            progress = RunProgress(
                state.iteration, s.iterations, val, state.best_val, tokens, state.failures, usage.prompt_tokens, usage.completion_tokens
            )
            if self.callback is not None and self.callback(progress) and state.iteration < s.iterations:
                state.stopped = state.stopped or "stopped"
            self._save(state)
        finished = state.stopped != "stopped"
        if finished and state.revalidation is None:
            state.revalidation = self._revalidate(Artifact.from_dict(state.best), state).to_dict()
            state.elapsed_s = base_elapsed + time.monotonic() - began
            self._save(state)
        if self.score_test and state.test is None and finished:
            state.test_scores = self._evaluate(Artifact.from_dict(state.best), "test", state)
            state.test = _mean(state.test_scores)
            state.elapsed_s = base_elapsed + time.monotonic() - began
            self._save(state)
        return self._result(state)

    def _revalidate(self, best: Artifact, state: Checkpoint) -> Revalidation:
        began = time.monotonic()
        instances = self.task.instances("revalidation")
        traces = self.task.rollouts(best, instances, None) if instances else []
        _tally(state, traces)
        tokens = int(sum(t.metrics.get(TASK_TOKENS, 0.0) for t in traces))
        return Revalidation(tuple(t.score for t in traces), len(traces), tokens, time.monotonic() - began)

    def _iterate(self, state: Checkpoint, train: Sequence[Instance]) -> float | None:
        s = self.settings
        current = Artifact.from_dict(state.current)
        batch = batch_for(train, s.batch_size, state.iteration, s.seed)
        traces = self.task.rollouts(current, batch, s.credit_horizon)
        _tally(state, traces)
        memory = [Attempt(m["iteration"], m["artifact_hash"], tuple(m["changed"]), m["batch_score"]) for m in state.memory]
        context = build_context(
            current,
            traces,
            horizon=s.credit_horizon,
            background=self.task.background,
            memory=memory[-s.memory :] if s.memory else (),
            iteration=state.iteration,
        )
        try:
            proposed = self.optimizer.propose(context)
        except SkippedUpdateError as exc:
            state.skipped += 1
            state.skips_in_a_row += 1
            state.skip_reasons = [*state.skip_reasons, f"iteration {state.iteration}: {exc}"][-KEPT_SKIP_REASONS:]
            return None
        state.skips_in_a_row = 0
        changed = tuple(k for k in proposed.parameters if proposed.parameters[k] != current.parameters.get(k))
        state.memory = [*state.memory, asdict(Attempt(state.iteration, current.hash, changed, context.batch_score))][-max(s.memory, 1) :]
        state.current = proposed.to_dict()
        if state.iteration % s.val_interval:
            return None
        val = _mean(self._evaluate(proposed, "val", state))
        state.curve.append([state.iteration, val])
        if val > state.best_val:
            state.best, state.best_val, state.stale = proposed.to_dict(), val, 0
        else:
            state.stale += 1
        return val

    def _evaluate(self, artifact: Artifact, split: Split, state: Checkpoint) -> list[float]:
        """Scores over ``split``, per instance; its failed evaluations and task tokens are counted into ``state``."""
        traces = self.task.rollouts(artifact, self.task.instances(split), None)
        _tally(state, traces)
        return [t.score for t in traces]

    def _result(self, state: Checkpoint) -> RunOutcome:
        usage = self.optimizer.usage
        revalidation = Revalidation.from_dict(state.revalidation) if state.revalidation is not None else Revalidation()
        return RunOutcome(
            run_id=self.run_id,
            settings=self.settings.to_dict(),
            best_val=state.best_val,
            test=state.test,
            optimizer=self.optimizer.name,
            curve=tuple((int(i), float(v)) for i, v in state.curve),
            iterations=state.iteration,
            tokens=usage.total_tokens + state.task_tokens,
            stopped=state.stopped,
            failures=state.failures,
            skipped_updates=state.skipped,
            skip_reasons=tuple(state.skip_reasons),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            wall_time_s=state.elapsed_s,
            best_artifact=state.best,
            start_artifact=self.task.starting_artifact(self.settings.starting_artifact).to_dict(),
            test_scores=tuple(state.test_scores),
            revalidation=revalidation.score,
            revalidation_scores=revalidation.scores,
            revalidation_evaluations=revalidation.evaluations,
            revalidation_tokens=revalidation.tokens,
            revalidation_seconds=revalidation.seconds,
        )


def _tally(state: Checkpoint, traces: Sequence[Trace]) -> None:
    """Count ``traces`` into ``state``: their failed evaluations and the task's own LLM tokens."""
    state.failures = state.failures.add(traces)
    state.task_tokens += int(sum(t.metrics.get(TASK_TOKENS, 0.0) for t in traces))


def _mean(scores: Sequence[float]) -> float:
    return sum(scores) / len(scores)
