"""LoopJob: the frozen, complete payload of one loop run, as every executor carries it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autoloop.errors import ConfigError
from autoloop.llm import Endpoint
from autoloop.settings import LoopSettings

Payload = TypeVar("Payload", bound=BaseModel)


def parse_payload(model: type[Payload], data: Mapping[str, Any] | str | bytes, what: str) -> Payload:
    """Validate ``data`` (a mapping or JSON) as ``model``; a bad payload is a ``ConfigError`` naming its fields.

    Raises:
        ConfigError: Missing, unknown or invalid fields, each named by its path.
    """
    try:
        if isinstance(data, (str, bytes)):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        found: dict[str, list[str]] = {"missing": [], "unknown": [], "invalid": []}
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"]) or "(payload)"
            kind = {"missing": "missing", "extra_forbidden": "unknown"}.get(error["type"], "invalid")
            found[kind].append(path if kind != "invalid" else f"{path} ({error['msg']})")
        details = "; ".join(f"{kind} fields: {', '.join(paths)}" for kind, paths in found.items() if paths)
        raise ConfigError(
            f"malformed {what}: {details}; the controller resolves every field when the study is created, "
            "so run the same autoloop version on the controller and the workers"
        ) from None


class LoopJob(BaseModel):
    """One loop run, complete: a worker reproduces it from this payload alone (nothing from its environment).

    Every field is required; secrets travel only as references (``Endpoint.api_key_ref``).

    Args:
        run_id: Checkpoint key; a re-run with the same id resumes.
        task: Registered task name (``family:variant``).
        data_dir: Task data directory, or ``None`` for a task without data files.
        task_options: The options the task family resolved where the study was created (see ``TaskFamily.options``).
        settings: Every ``LoopSettings`` field, the seed included.
        optimizer: Optimizer name (``local``, ``llm``, a plug-in's).
        endpoint: The optimizer's LLM endpoint (unconfigured for an optimizer that calls none).
        score_test: Score the best artifact on test at the end (off during a search).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(min_length=1)
    task: str = Field(min_length=1)
    data_dir: str | None
    task_options: dict[str, Any]
    settings: dict[str, Any]
    optimizer: str = Field(min_length=1)
    endpoint: Endpoint
    score_test: bool

    @field_validator("settings")
    @classmethod
    def _complete_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        missing = sorted({f.name for f in fields(LoopSettings)} - set(value))
        if missing:
            raise ValueError(f"settings lack {missing}; a job names every LoopSettings field, the seed included")
        return LoopSettings.from_dict(value).to_dict()

    @classmethod
    def parse(cls, data: Mapping[str, Any] | str | bytes) -> LoopJob:
        """The job in ``data`` (a mapping or its JSON).

        Raises:
            ConfigError: A field is missing, unknown or invalid; the message names it.
        """
        return parse_payload(cls, data, "loop job payload")

    @property
    def loop_settings(self) -> LoopSettings:
        """The settings as a ``LoopSettings``."""
        return LoopSettings.from_dict(self.settings)
