"""The HTTP API's request and response bodies (also the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from autoloop.controller import API_NAMES, DEFAULT_PRESET, PLAN_RANGES, PRESETS, Budget, SettingProgress, StudyPlan, pruner_names, strategy_names
from autoloop.tasks import TASK_NAME_PATTERN

TaskOptionKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
TaskOptionValue = Annotated[str, StringConstraints(max_length=1000)] | int | float | bool
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

    iterations: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="loop iterations over all runs, final re-check included (default: the preset's when no tokens are given)",
    )
    tokens: int | None = Field(default=None, ge=1, le=10**12, description="LLM tokens over all runs")
    dollars: float | None = Field(
        default=None, gt=0, le=10**6,
        description="US dollars of LLM tokens over all runs: a run starts only if it and the runs in flight, at the cost per "
        "iteration seen so far (before any: the estimate's), fit what is left; every model must have a price",
    )

    def limits(self, plan: StudyPlan) -> Budget:
        """The study's ``Budget`` (the plan's iteration budget when no limit is given)."""
        return plan.budget(iterations=self.iterations, tokens=self.tokens, dollars=self.dollars)


def _plan_field(name: str, description: str) -> Any:
    """An optional plan field bounded as ``StudyPlan`` bounds it (``PLAN_RANGES``: one source of ranges)."""
    low, high = PLAN_RANGES[name]
    return Field(default=None, ge=low, le=high, description=description)


class StudyCreate(BaseModel):
    """``POST /v1/studies``: a task, a search space, a budget, a study plan and the optimizer.

    The plan fields left out take the ``preset``'s values (``StudyPlan.resolve``, as ``autoloop
    tune`` does); the resolved plan is echoed in the study's ``plan``.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    task: str = Field(pattern=TASK_NAME_PATTERN, max_length=200, examples=["mlpipeline:spaceship-titanic"])
    data_dir: str | None = Field(
        default=None, max_length=1000,
        description="task data directory or file (e.g. a CSV): an absolute path in a folder the operator shares, or a relative one "
        "inside the tenant's own folder (e.g. the name of an uploaded dataset)",
    )
    task_options: dict[TaskOptionKey, TaskOptionValue] = Field(
        default_factory=dict, max_length=32, examples=[{"target": "species", "metric": "accuracy"}],
        description="the task's own options (e.g. a CSV task's target and metric), checked against the data at submission",
    )
    space: str | None = Field(default=None, max_length=2000, examples=["batch_size=1,3;credit_horizon=1"])
    budget: StudyBudget = Field(default_factory=StudyBudget)
    preset: str | None = Field(
        default=None, description=f"study plan preset (default: {DEFAULT_PRESET})", json_schema_extra={"enum": list(PRESETS)},
    )
    iterations: int | None = _plan_field("iterations", "optimizer updates per loop run (default: the preset's)")
    seeds: int | None = _plan_field("seeds", "seeds per trial (default: the preset's)")
    parallel: int = Field(default=4, ge=1, le=256, description="loop runs in flight (about the number of workers)")
    top_k: int | None = _plan_field("top_k", "settings re-checked on test (default: the preset's)")
    final_seeds: int | None = _plan_field("final_seeds", "fresh seeds per re-checked setting (default: the preset's)")
    val_interval: int | None = _plan_field("val_interval", "validate every N iterations (default: the preset's)")
    patience: int | None = _plan_field("patience", "stop a run after N validations without gain (default: the preset's)")
    memory: int | None = _plan_field("memory", "past attempts shown to the optimizer (default: the preset's)")
    optimizer: str | None = Field(default=None, max_length=50, description="'llm' or 'local' (default: llm if an endpoint is set, fixed at creation)")
    llm: LLMOptions = Field(default_factory=LLMOptions)
    prices: dict[Annotated[str, Field(max_length=200)], tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]]] = Field(
        default_factory=dict, max_length=16, examples=[{"gpt-4o-mini": [0.15, 0.6]}],
        description="US dollars per million prompt and completion tokens per model, over the genai-prices table "
        "(the optimizer's and the executor's models; servers on loopback cost $0 unless priced)",
    )
    # The allowed names are the registries' at schema time (plug-ins included), not a fixed Literal.
    strategy: str | None = Field(
        default=None, description="search strategy: 'auto' or a registered strategy (best-arm rules over seeds, Optuna samplers, "
        "plug-ins; default: the preset's)",
        json_schema_extra=lambda schema: schema.update(enum=list(strategy_names())),
    )
    sampler: str | None = Field(
        default=None, deprecated=True, description="the old name of 'strategy', accepted for one release",
        json_schema_extra=lambda schema: schema.update(enum=list(strategy_names())),
    )
    pruner: str | None = Field(
        default=None, description="a registered pruner (default: the preset's)",
        json_schema_extra=lambda schema: schema.update(enum=list(pruner_names())),
    )
    confidence: float | None = Field(
        default=None, ge=0.5, lt=1, description="fixed confidence: stop as soon as the pick is certain at this level (default: fixed budget)",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    warm_start: bool = Field(
        default=False,
        description="start from your own finished studies of this task or its family (best-arm strategies): their best settings get "
        "the first seeds and count in the estimates, each past study less than one run of this study",
    )

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, name: str | None) -> str | None:
        if name is not None and name not in PRESETS:
            raise ValueError(f"unknown preset; choose one of {', '.join(PRESETS)}")
        return name

    @field_validator("strategy", "sampler")
    @classmethod
    def _registered_strategy(cls, name: str | None) -> str | None:
        if name is not None and name not in strategy_names():
            raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(strategy_names())}")
        return name

    @field_validator("pruner")
    @classmethod
    def _registered_pruner(cls, name: str | None) -> str | None:
        if name is not None and name not in pruner_names():
            raise ValueError(f"unknown pruner {name!r}; choose one of {', '.join(pruner_names())}")
        return name

    def plan(self) -> StudyPlan:
        """The study plan: the preset's, with the plan fields given on top."""
        sampler = self.__dict__["sampler"]  # the deprecated field, read without pydantic's access warning
        return StudyPlan.resolve(
            self.preset, names=API_NAMES, iterations=self.iterations, seeds=self.seeds, top_k=self.top_k, final_seeds=self.final_seeds,
            strategy=self.strategy, sampler=sampler, pruner=self.pruner, confidence=self.confidence, val_interval=self.val_interval,
            patience=self.patience, memory=self.memory,
        )

    def public(self) -> dict[str, Any]:
        """The request as stored and echoed back: everything except the API key."""
        data = self.model_dump(mode="json", exclude={"llm": {"api_key"}})
        data["llm"]["api_key_set"] = self.llm.api_key is not None
        return data


class FailureCounts(BaseModel):
    """Candidate evaluations of a study's runs so far, and how many failed."""

    evaluations: int = 0
    failed: int = 0
    errors: list[tuple[str, int]] = Field(default_factory=list, description="the most frequent failure messages with their counts")
    summary: str | None = Field(default=None, description='e.g. "12 of 20 evaluations failed: ValueError: ..."; null when none failed')
class StudyProgress(BaseModel):
    """Where a study stands: the API's view (the CLI's is the controller's ``StudyStatus``)."""

    stage: str | None = Field(default=None, description="search, final or done")
    trials: dict[str, int] = Field(default_factory=dict, description="trials by outcome: complete, pruned, failed")
    iteration_budget: int | None = Field(description="the study's iteration limit (none when only tokens limit it)")
    runs_done: int
    runs_failed: int
    runs_running: int
    runs_queued: int
    best_val: float | None = Field(description="best validation score of any run so far (internal: higher is better)")
    metric: str | None = Field(default=None, description="the task's metric")
    best: float | None = Field(default=None, description="best_val in the metric's own units (e.g. RMSE positive)")
    best_revalidation: float | None = Field(
        default=None, description="best re-validation score of any finished run (its returned artifact scored once on unseen data; internal)"
    )
    revalidation: float | None = Field(default=None, description="best_revalidation in the metric's own units")
    iterations: int
    tokens: int
    dollars: float | None = Field(default=None, description="US dollars of LLM tokens spent so far (null: the optimizer's model has no price)")
    failures: FailureCounts = Field(default_factory=FailureCounts)
    settings: list[SettingProgress] = Field(default_factory=list, description="per setting, most runs first")


class StudyView(BaseModel):
    """``GET /v1/studies/{id}``."""

    id: str
    state: StudyState
    task: str
    created_at: float
    finished_at: float | None = None
    error: str | None = None
    request: dict[str, Any]
    plan: dict[str, Any] | None = Field(default=None, description="the resolved study plan (preset and every value it runs with)")
    estimate: dict[str, Any] | None = Field(default=None, description="what the study was estimated to spend when it was created")
    progress: StudyProgress


class StudyEstimate(BaseModel):
    """``POST /v1/studies?dry_run=true``: what the study would spend, nothing created or run."""

    estimate: dict[str, Any] = Field(
        description="runs, iterations, llm_calls, tokens (prompt, completion; per LLM), dollars (null: a model has no price), "
        "seconds, per_update, prices and the assumptions made",
    )
    plan: dict[str, Any] = Field(description="the resolved study plan")


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


# The error replies every authenticated endpoint may give (413: body too large, 503: Redis down).
API_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorBody} for status in (401, 404, 413, 422, 503)}


class DatasetView(BaseModel):
    """One of a tenant's uploaded datasets; a study names it as its ``data_dir``."""

    name: str = Field(description="the dataset's name; use it as data_dir")
    bytes: int


class TokenView(BaseModel):
    """One of a tenant's API tokens (never the token itself)."""

    id: str = Field(description="the token's id, for DELETE /v1/tokens/{id} and `autoloop token revoke`")
    name: str
    created_at: float
