"""BBEHTask: optimize an executor LLM's prompt and answer extractor on one BBEH task."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autoloop.artifact import Artifact
from autoloop.tasks._base import Metric, Task
from autoloop.tasks.bbeh._data import N_TRAIN, N_VAL, Example, load_examples, split_examples, task_dir
from autoloop.tasks.bbeh._executor import Completion, ExecutorLLM
from autoloop.tasks.bbeh._scoring import is_correct
from autoloop.trace import Instance, Split, Step, Trace, failed_trace

if TYPE_CHECKING:
    from autoloop.sandbox import Outcome, Sandbox

RUNNER = "autoloop.tasks.bbeh._runner"
SANDBOX_TIMEOUT_S = 30.0
SANDBOX_MEMORY_MB = 1024
# The paper keeps the number of updates fixed (15) and varies epochs: with 15 train
# examples, batch size 1, 3 and 5 means 1, 3 and 5 epochs. Pass ``--iterations 15``.
UPDATES = 15

BACKGROUND = (
    "BIG-Bench Extra Hard task {variant!r}. An executor LLM receives the text returned by "
    "prompt() as its system message and one question as the user message. "
    "extract_answer(response) turns its reply into the final answer, which is scored 1 if it "
    "matches the expected answer under BBEH's official fuzzy matching and 0 otherwise. "
    "Goal: maximize accuracy. Improve the instructions in prompt() and make extract_answer "
    "robust to how the executor phrases its final answer."
)


class BBEHTask(Task):
    """One BIG-Bench Extra Hard task; the artifact is a prompt plus an ``extract_answer`` function.

    Args:
        variant: BBEH task name, e.g. ``dyck_languages``.
        data_dir: Folder holding ``bbeh_<variant>/task.json`` (or ``$AUTOLOOP_DATA``).
        executor: Calls the executor LLM (built from the task options by the registry).
        n_train: Train examples, taken first in dataset order.
        n_val: Validation examples, taken next; the rest is test.

    Raises:
        DataError: The task's data cannot be found or read.
    """

    policy_family = "bbeh"
    artifacts = ("default", "final_answer")
    horizons = (1,)
    batch_sizes = (1, 3, 5)
    metric = Metric("accuracy")
    failure_score = 0.0

    def __init__(self, variant: str, data_dir: Path | None, *, executor: ExecutorLLM, n_train: int = N_TRAIN, n_val: int = N_VAL) -> None:
        self.name = f"bbeh:{variant}"
        self.background = BACKGROUND.format(variant=variant)
        self.executor = executor
        examples = split_examples(load_examples(task_dir(variant, data_dir)), n_train=n_train, n_val=n_val)
        self._splits: dict[str, list[Instance]] = {
            split: [Instance(f"{split}-{i}", split, ex) for i, ex in enumerate(items)]  # type: ignore[arg-type]
            for split, items in examples.items()
        }
        self._prompts: dict[str, Outcome] = {}
        self._sandbox: Sandbox | None = None

    def split(self, name: Split) -> Sequence[Instance]:
        return self._splits[name]

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        return self.rollouts(artifact, [instance], horizon)[0]

    def rollouts(self, artifact: Artifact, instances: Sequence[Instance], horizon: int | None) -> list[Trace]:
        """Ask the executor about every instance concurrently, then extract all answers in one sandbox call."""
        rendered = self._render_prompt(artifact)
        if not rendered.ok:
            return [failed_trace(inst, f"prompt() failed: {rendered.error}", score=self.failure_score) for inst in instances]
        examples: list[Example] = [inst.data for inst in instances]
        completions = self.executor.complete(rendered.value, [ex.input for ex in examples])
        extracted = self._sandbox_call("extract_answers", artifact.source, [c.text for c in completions])
        if not extracted.ok:
            return [failed_trace(inst, f"extract_answer failed: {extracted.error}", score=self.failure_score) for inst in instances]
        return [self._trace(inst, c, pair) for inst, c, pair in zip(instances, completions, extracted.value, strict=True)]

    def _trace(self, instance: Instance, completion: Completion, extracted: tuple[bool, str]) -> Trace:
        example: Example = instance.data
        ok, answer = extracted
        correct = ok and is_correct(answer, example.target)
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

