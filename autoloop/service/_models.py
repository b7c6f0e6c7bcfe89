"""The HTTP API's request and response bodies (also the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from autoloop.controller import DEFAULT_PRUNER, DEFAULT_STRATEGY, pruner_names, strategy_names

TASK_PATTERN = r"^[a-z0-9_]+:[A-Za-z0-9_.-]+$"
StudyState = Literal["queued", "running", "finished", "failed", "cancelled"]


class LLMOptions(BaseModel):
    """An OpenAI-compatible endpoint for the ``llm`` optimizer; the key is write-only.

    With a ``base_url`` of its own a study gets exactly its own ``api_key`` there (or none);
    without one it calls the service's endpoint. Fixed when the study is created.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: str | None = Field(default=None, max_length=200)
    base_url: str | None = Field(default=None, max_length=500)
    api_key: SecretStr | None = Field(default=None, max_length=500, description="never logged or returned")
    timeout_s: float | None = Field(default=None, gt=0, le=3600, description="seconds per request (default: the endpoint's)")
    max_retries: int | None = Field(default=None, ge=0, le=20, description="retries on 429/5xx; a timeout is retried once at most")
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=131072, description="completion tokens per reply, always sent")
    answer_format: Literal["json", "fenced"] | None = Field(
        default=None, description="json, or fenced: reasoning as text and one fenced code block per changed parameter"
    )
    context_window: int | None = Field(
        default=None, ge=256, le=10_000_000,
        description="tokens the model's context holds; settings whose smallest prompt cannot fit are not run (default: unknown)",
    )

    def request_settings(self) -> dict[str, Any]:
        """The request settings given (``Endpoint.tuned`` names), the unset left out."""
        names = {"timeout_s", "max_retries", "temperature", "max_tokens", "answer_format", "context_window"}
        return self.model_dump(include=names, exclude_none=True)


class StudyBudget(BaseModel):
    """How much a study may spend; the search ends at whichever limit comes first."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    iterations: int = Field(default=60, ge=1, le=1_000_000, description="loop iterations over all runs, final re-check included")
    tokens: int | None = Field(default=None, ge=1, le=10**12, description="LLM tokens over all runs")


class StudyCreate(BaseModel):
    """``POST /v1/studies``: a task, a search space, a budget, seeds and the optimizer."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    task: str = Field(pattern=TASK_PATTERN, max_length=200, examples=["mlpipeline:spaceship-titanic"])
    data_dir: str | None = Field(default=None, max_length=1000, description="task data directory on the workers")
    space: str | None = Field(default=None, max_length=2000, examples=["batch_size=1,3;credit_horizon=1"])
    budget: StudyBudget = Field(default_factory=StudyBudget)
    iterations: int = Field(default=6, ge=1, le=1000, description="optimizer updates per loop run")
    seeds: int = Field(default=1, ge=1, le=10, description="seeds per setting")
    parallel: int = Field(default=4, ge=1, le=256, description="loop runs in flight (about the number of workers)")
    top_k: int = Field(default=2, ge=1, le=10, description="settings re-checked on test")
    final_seeds: int = Field(default=2, ge=1, le=10, description="fresh seeds per re-checked setting")
    optimizer: str | None = Field(default=None, max_length=50, description="'llm' or 'local' (default: llm if an endpoint is set, fixed at creation)")
    llm: LLMOptions = Field(default_factory=LLMOptions)
    # The allowed names are the registries' at schema time (plug-ins included), not a fixed Literal.
    sampler: str = Field(
        default=DEFAULT_STRATEGY, description="search strategy: 'auto', a best-arm rule over seeds, or a registered Optuna sampler",
        json_schema_extra=lambda schema: schema.update(enum=list(strategy_names())),
    )
    pruner: str = Field(
        default=DEFAULT_PRUNER, description="a registered pruner",
        json_schema_extra=lambda schema: schema.update(enum=list(pruner_names())),
    )
    confidence: float | None = Field(
        default=None, ge=0.5, lt=1, description="fixed confidence: stop as soon as the pick is certain at this level (default: fixed budget)",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("sampler")
    @classmethod
    def _registered_sampler(cls, name: str) -> str:
        if name not in strategy_names():
            raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(strategy_names())}")
        return name

    @field_validator("pruner")
    @classmethod
    def _registered_pruner(cls, name: str) -> str:
        if name not in pruner_names():
            raise ValueError(f"unknown pruner {name!r}; choose one of {', '.join(pruner_names())}")
        return name

    def public(self) -> dict[str, Any]:
        """The request as stored and echoed back: everything except the API key."""
        data = self.model_dump(mode="json", exclude={"llm": {"api_key"}})
        data["llm"]["api_key_set"] = self.llm.api_key is not None
        return data


class StudyProgress(BaseModel):
    """Where a study stands."""

    stage: str | None = Field(default=None, description="search, final or done")
    trials: dict[str, int] = Field(default_factory=dict, description="trials by outcome: complete, pruned, failed")
    iteration_budget: int
    runs_done: int
    runs_failed: int
    runs_running: int
    runs_queued: int
    best_val: float | None = Field(description="best validation score of any run so far (internal: higher is better)")
    metric: str | None = Field(default=None, description="the task's metric")
    best: float | None = Field(default=None, description="best_val in the metric's own units (e.g. RMSE positive)")
    iterations: int
    tokens: int


class StudyView(BaseModel):
    """``GET /v1/studies/{id}``."""

    id: str
    state: StudyState
    task: str
    created_at: float
    finished_at: float | None = None
    error: str | None = None
    request: dict[str, Any]
    progress: StudyProgress


class StudyList(BaseModel):
    """``GET /v1/studies``: the caller's studies, newest first."""

    studies: list[StudyView]


class TaskEntry(BaseModel):
    """One task of ``GET /v1/tasks``."""

    task: str
    artifacts: list[str]
    horizons: list[int]
    batch_sizes: list[int]
    metric: str = Field(description="the metric's name, e.g. accuracy or rmse_log")
    higher_is_better: bool = Field(description="false when the task negates an error to get its internal score")


class Health(BaseModel):
    """``GET /healthz``."""

    status: Literal["ok"]
    redis: bool
    active_studies: int


class ErrorBody(BaseModel):
    """Every error reply."""

    detail: str
