"""PromptTask: optimize an executor LLM's prompt and answer extractor on input/target pairs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from autoloop.artifact import Artifact
from autoloop.errors import DataError
from autoloop.tasks._base import Metric, Task
from autoloop.tasks.prompt._data import Example
from autoloop.tasks.prompt._executor import Completion, ExecutorLLM
from autoloop.tasks.prompt._match import DESCRIPTIONS, MatchMode, check_match, matches, parse_number
from autoloop.trace import SPLITS, TASK_TOKENS, Instance, Split, Step, Trace, failed_trace

if TYPE_CHECKING:
    from autoloop.sandbox import Outcome, Sandbox

RUNNER = "autoloop.tasks.prompt._runner"
SANDBOX_TIMEOUT_S = 30.0
SANDBOX_MEMORY_MB = 1024

BACKGROUND = (
    "Prompt task {name!r}. An executor LLM receives the text returned by prompt() as its system "
    "message and one input as the user message. extract_answer(response) turns its reply into "
    "the final answer, which is scored 1 if it is {match} and 0 otherwise. Goal: maximize "
    "accuracy. Improve the instructions in prompt() and make extract_answer robust to how the "
    "executor phrases its final answer."
)


def prompt_background(name: str, match: MatchMode) -> str:
    """The task description the optimizer reads for a prompt task scored by ``match``."""
    return BACKGROUND.format(name=name, match=DESCRIPTIONS[match])


class PromptTask(Task):
    """An executor LLM answers each input under the artifact's ``prompt()``; the artifact's
    ``extract_answer(response)`` (run confined) reads the answer, which this process matches
    against the target.

    Args:
        name: Registered task name, e.g. ``prompt:arithmetic``.
        splits: The examples of ``train``, ``val``, ``test`` and ``revalidation`` (see ``split_examples``).
        executor: Calls the executor LLM (built from the task options by the registry).
        match: How an answer is matched against its target: ``exact``, ``fuzzy`` or ``numeric``.
        background: Task description for the optimizer (default: ``prompt_background``).

    Raises:
        ConfigError: ``match`` is no match mode.
        DataError: A split is empty, or a target of a ``numeric`` task is no number.
    """

    policy_family = "prompt"
    artifacts = ("default", "final_answer")
    horizons = (1,)
    batch_sizes = (1, 3, 5)
    metric = Metric("accuracy")
    failure_score = 0.0
    own_revalidation = True

    def __init__(
        self, name: str, splits: Mapping[Split, Sequence[Example]], *, executor: ExecutorLLM, match: str = "exact", background: str | None = None
    ) -> None:
        self.name = name
        self.match = check_match(match)
        self.background = background if background is not None else prompt_background(name, self.match)
        self.executor = executor
        for split in SPLITS:
            if not splits.get(split):
                raise DataError(f"{name}: the {split} split is empty; give it examples")
            if self.match == "numeric":
                _check_numeric(name, splits[split])
        self._splits: dict[str, list[Instance]] = {
            split: [Instance(f"{split}-{i}", split, ex) for i, ex in enumerate(splits[split])] for split in SPLITS
        }
        self._prompts: dict[str, Outcome] = {}
        self._sandbox: Sandbox | None = None

    def split(self, name: Split) -> Sequence[Instance]:
        return self._splits[name]

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        return self.rollouts(artifact, [instance], horizon)[0]

    def evaluation_tokens(self, traces: Sequence[Trace]) -> int:
        """Executor tokens of the replies not served from the cache."""
        spent = ("executor_prompt_tokens", "executor_completion_tokens")
        return int(sum(t.metrics.get(k, 0.0) for t in traces if not t.metrics.get("executor_cached") for k in spent))

    def rollouts(self, artifact: Artifact, instances: Sequence[Instance], horizon: int | None) -> list[Trace]:
        """Ask the executor about every instance concurrently, then extract all answers in one sandbox call."""
        rendered = self._render_prompt(artifact)
        if not rendered.ok:
            return [failed_trace(inst, f"prompt() failed: {rendered.error}", score=self.failure_score) for inst in instances]
        examples: list[Example] = [inst.data for inst in instances]
        completions = self.executor.complete(rendered.value, [ex.input for ex in examples])
        # Only the replies cross into the sandbox: targets stay in this process.
        extracted = self._sandbox_call("extract_answers", artifact.source, [c.text for c in completions])
        if not extracted.ok:
            return [failed_trace(inst, f"extract_answer failed: {extracted.error}", score=self.failure_score) for inst in instances]
        return [self._trace(inst, c, pair) for inst, c, pair in zip(instances, completions, extracted.value, strict=True)]

    def _trace(self, instance: Instance, completion: Completion, extracted: tuple[bool, str]) -> Trace:
        example: Example = instance.data
        ok, answer = extracted
        correct = ok and matches(self.match, answer, example.target)
        if correct:
            feedback = "Correct."
        else:
            why = f"the extracted answer was {answer!r}" if ok else answer
            feedback = f"Incorrect: {why}. The expected answer is: {example.target}"
        metrics = {
            "accuracy": float(correct),
            "executor_prompt_tokens": float(completion.prompt_tokens),
            "executor_completion_tokens": float(completion.completion_tokens),
            "executor_cached": float(completion.cached),
            TASK_TOKENS: 0.0 if completion.cached else float(completion.prompt_tokens + completion.completion_tokens),
        }
        step = Step(example.input, completion.text, feedback, float(correct))
        # A per-response extract_answer failure keeps its step, so the optimizer sees the reply.
        return Trace(instance.id, instance.split, (step,), float(correct), feedback, error=None if ok else answer, metrics=metrics)

    def _render_prompt(self, artifact: Artifact) -> Outcome:
        # One sandbox call per revision: the prompt text depends only on the artifact.
        if artifact.hash not in self._prompts:
            self._prompts[artifact.hash] = self._sandbox_call("render_prompt", artifact.source)
        return self._prompts[artifact.hash]

    def _sandbox_call(self, entry: str, *args: object) -> Outcome:
        if self._sandbox is None:  # started on first use; a task that only lists splits never forks
            from autoloop.sandbox import Limits, Sandbox

            self._sandbox = Sandbox(limits=Limits(timeout_s=SANDBOX_TIMEOUT_S, memory_mb=SANDBOX_MEMORY_MB))
        return self._sandbox.call(f"{RUNNER}:{entry}", *args)

    def reset(self) -> None:
        """Forget rendered prompts and the executor's counts (its reply cache is on disk, shared on purpose)."""
        self._prompts.clear()
        self.executor.reset_counts()

    def close(self) -> None:
        """Stop the sandbox, if one was started."""
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None


def _check_numeric(name: str, examples: Sequence[Example]) -> None:
    for example in examples:
        if parse_number(example.target) is None:
            raise DataError(f"{name}: target {example.target!r} (input {example.input[:60]!r}) is no number; use match=exact or fuzzy")
