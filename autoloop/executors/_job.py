"""LoopJob: the payload of one loop run, as every executor carries it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autoloop.llm import LLMConfig
from autoloop.settings import LoopSettings


class LLMSpec(BaseModel):
    """LLM endpoint fields a job carries; the key is never serialized into logs or replies."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = Field(default=None, repr=False)

    def to_config(self) -> LLMConfig:
        """Environment defaults, overridden by whatever this spec sets."""
        return LLMConfig.from_env(model=self.model, base_url=self.base_url, api_key=self.api_key)


class LoopJob(BaseModel):
    """One loop run to execute: a task, settings with their seed, and an optimizer.

    Args:
        run_id: Checkpoint key; a re-run with the same id resumes.
        task: Registered task name (``family:variant``).
        data_dir: Task data directory, if the task reads files.
        settings: ``LoopSettings`` fields.
        optimizer: Optimizer name (``None`` = ``llm`` if an endpoint is configured, else ``local``).
        llm: Endpoint settings for the ``llm`` optimizer.
        score_test: Score the best artifact on test at the end (off during a search).
    """

    model_config = ConfigDict(extra="forbid")

    run_id: str
    task: str
    data_dir: str | None = None
    settings: dict[str, Any]
    optimizer: str | None = None
    llm: LLMSpec = Field(default_factory=LLMSpec)
    score_test: bool = True

    @field_validator("settings")
    @classmethod
    def _valid_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        return LoopSettings.from_dict(value).to_dict()

    @property
    def loop_settings(self) -> LoopSettings:
        """The settings as a ``LoopSettings``."""
        return LoopSettings.from_dict(self.settings)
