"""BBEHTask: a prompt task on one BBEH task, split in dataset order and scored by BBEH's rules."""

from __future__ import annotations

from pathlib import Path

from autoloop.tasks.bbeh._data import N_TRAIN, N_VAL, load_examples, split_examples, task_dir
from autoloop.tasks.prompt import ExecutorLLM, PromptTask

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


class BBEHTask(PromptTask):
    """One BIG-Bench Extra Hard task: a ``PromptTask`` on its ``task.json``, split in dataset order,
    matched ``fuzzy`` (BBEH's official rules), with starting artifacts of its own.

    Args:
        variant: BBEH task name, e.g. ``dyck_languages``.
        data_dir: Folder holding ``bbeh_<variant>/task.json`` (or a folder holding ``bbeh/``).
        executor: Calls the executor LLM (built from the task options by the registry).
        n_train: Train examples, taken first in dataset order.
        n_val: Validation examples, taken next; the rest is test, of which the first 4 x ``n_val``
            (at most half) are held back for re-validation.

    Raises:
        DataError: The task's data cannot be found or read.
    """

    policy_family = "bbeh"

    def __init__(self, variant: str, data_dir: Path | None, *, executor: ExecutorLLM, n_train: int = N_TRAIN, n_val: int = N_VAL) -> None:
        splits = split_examples(load_examples(task_dir(variant, data_dir)), n_train=n_train, n_val=n_val)
        super().__init__(f"bbeh:{variant}", splits, executor=executor, match="fuzzy", background=BACKGROUND.format(variant=variant))
