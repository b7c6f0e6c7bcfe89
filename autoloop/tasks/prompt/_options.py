"""PromptOptions: the task options of a ``prompt:`` task, as every job carries them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autoloop.errors import ConfigError
from autoloop.llm import Endpoint
from autoloop.tasks.prompt._data import N_TRAIN, N_VAL, SPLIT_SEED
from autoloop.tasks.prompt._match import MatchMode


class PromptOptions(BaseModel):
    """What a ``prompt:`` task is built from besides its data file.

    ``executor`` and ``concurrency`` come from the environment where the run or study is
    created (``AUTOLOOP_EXECUTOR_*``); the rest are task options with defaults, set per run
    (``--task-option match=numeric``) and carried by every job, so all runs of a study score alike.

    Args:
        executor: The executor LLM's endpoint, its key by reference.
        concurrency: Executor requests in flight at most.
        match: How answers are matched: ``exact`` (default), ``fuzzy`` or ``numeric``.
        split_seed: Seed of the shuffle before the split (``None`` keeps file order).
        n_train: Train examples.
        n_val: Validation examples.
        n_test: Test examples (``None``: every example left).
        n_revalidation: Re-validation examples, held back from the test pool (``None``: 4 x
            ``n_val``, at most half the pool; see ``split_examples``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    executor: Endpoint
    concurrency: int = Field(ge=1)
    match: MatchMode = "exact"
    split_seed: int | None = SPLIT_SEED
    n_train: int = Field(default=N_TRAIN, ge=1)
    n_val: int = Field(default=N_VAL, ge=1)
    n_test: int | None = Field(default=None, ge=1)
    n_revalidation: int | None = Field(default=None, ge=1)

    @classmethod
    def parse(cls, task: str, options: dict[str, Any]) -> PromptOptions:
        """Validate the options of ``task``.

        Raises:
            ConfigError: Naming each missing, unknown or invalid option.
        """
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ConfigError(
                f"task {task!r} got bad options ({problems}); known options: {sorted(cls.model_fields)}; build it with "
                "get_task(name, options=task_options(name)) (the CLI and the service stamp them into every job)"
            ) from None
