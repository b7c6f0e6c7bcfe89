"""Run or tune a task object in this process: no package, no entry point, no service.

``autoloop.run(task)`` and ``autoloop.tune(task)`` take a ``Task`` built from plain Python
objects, as ``optuna``'s ``study.optimize(f)`` takes a function. The task is registered
under its ``name`` for the duration of the process and every loop run executes here, one at a
time (the object is not sent to other processes), so it needs no packaging. The candidate code
still runs wherever the task's ``rollout`` puts it (see ``docs/tasks.md``).

Example:
    >>> import autoloop
    >>> result = autoloop.run(MyTask(), iterations=5, optimizer="local")  # doctest: +SKIP
    >>> recommendation = autoloop.tune(MyTask(), budget_iterations=60, optimizer="local")  # doctest: +SKIP
    >>> recommendation.settings  # doctest: +SKIP
    {'starting_artifact': 'linear', 'credit_horizon': 1, 'batch_size': 2}
"""

from __future__ import annotations

import re
import uuid

from autoloop.controller import Controller, Recommendation, SearchSpace, StudyPlan
from autoloop.errors import ConfigError
from autoloop.executors import LocalExecutor, RunTemplate, resolve_template, run_job
from autoloop.llm import Endpoint
from autoloop.outcome import RunOutcome
from autoloop.tasks import TASK_NAME_PATTERN, Task, TaskFamily, TaskInfo, register_task, task_families

__all__ = ["run", "tune"]

# Families registered by this module (name -> the task object), so a later call may replace its own.
_OBJECTS: dict[str, Task] = {}


def _template(task: Task, optimizer: str | None, endpoint: Endpoint | None) -> RunTemplate:
    """Register ``task`` under its name and resolve what its runs share."""
    if not isinstance(task, Task):
        raise ConfigError(f"pass a Task instance (a subclass of autoloop.tasks.Task), got {type(task).__name__}")
    name = getattr(task, "name", "")
    if not isinstance(name, str) or not re.fullmatch(TASK_NAME_PATTERN, name):
        raise ConfigError(f"set the task's name to 'family:variant' (matching {TASK_NAME_PATTERN}), got {name!r}")
    family, _, variant = name.partition(":")
    existing = task_families().get(family)
    if existing is not None and family not in _OBJECTS:
        raise ConfigError(f"a task family {family!r} is already registered ({existing.variants}); give your task another family name")
    _OBJECTS[family] = task
    info = TaskInfo.of(task)
    register_task(TaskFamily(family, (variant,), lambda v, data_dir, options: task, lambda v: info))
    return resolve_template(name, optimizer=optimizer, endpoint=endpoint)


def run(
    task: Task,
    *,
    artifact: str | None = None,
    credit_horizon: int | None = None,
    batch_size: int | None = None,
    iterations: int = 10,
    val_interval: int = 1,
    patience: int = 0,
    memory: int = 3,
    max_skips: int = 3,
    seed: int = 0,
    optimizer: str | None = None,
    endpoint: Endpoint | None = None,
) -> RunOutcome:
    """One loop run on ``task``: iterate, validate, keep the best, score it once on test.

    Args:
        task: The task object.
        artifact: Starting artifact (default: the task's first).
        credit_horizon: Steps per update (default: the task's first horizon).
        batch_size: Traces per update (default: the task's first batch size).
        iterations: Optimizer updates.
        val_interval: Validate every N iterations.
        patience: Stop after N validations without gain (0 = never).
        memory: Past attempts shown to the optimizer.
        max_skips: End after N skipped updates in a row (0 = never).
        seed: Seed of the run.
        optimizer: ``llm``, ``local`` or a plug-in's (default: ``llm`` when an endpoint is configured).
        endpoint: The LLM endpoint (default: ``Endpoint.from_env()``).

    Returns:
        The run's result; scores are internal (higher is better), ``task.metric.display``
        turns them into the metric's units.

    Raises:
        ConfigError: An invalid setting, name or optimizer; the message names it.
    """
    template = _template(task, optimizer, endpoint)
    settings = {
        "starting_artifact": artifact or task.artifacts[0],
        "credit_horizon": task.horizons[0] if credit_horizon is None else credit_horizon,
        "batch_size": task.batch_sizes[0] if batch_size is None else batch_size,
        "iterations": iterations, "val_interval": val_interval, "patience": patience, "memory": memory,
        "seed": seed, "max_skips": max_skips,
    }
    task.starting_artifact(settings["starting_artifact"])  # a misspelt artifact fails before the run starts
    job = template.job(uuid.uuid4().hex[:12], settings, score_test=True)
    task.reset()
    return run_job(job, task)


def tune(
    task: Task,
    *,
    budget_iterations: int | None = None,
    budget_tokens: int | None = None,
    budget_seconds: float | None = None,
    space: str | None = None,
    iterations: int | None = None,
    seeds: int | None = None,
    top_k: int | None = None,
    final_seeds: int | None = None,
    strategy: str | None = None,
    pruner: str | None = None,
    confidence: float | None = None,
    preset: str | None = None,
    seed: int = 0,
    optimizer: str | None = None,
    endpoint: Endpoint | None = None,
    sampler: str | None = None,
) -> Recommendation:
    """Search starting artifact, credit horizon and batch size for ``task``; recommend one.

    The same study as ``autoloop tune`` runs, with every loop run in this process, one at a
    time. Plan arguments left ``None`` take the preset's values (``StudyPlan.resolve``), and a
    budget that cannot pay for one round is refused before any run, as ``autoloop tune`` does.

    Args:
        task: The task object.
        budget_iterations: Loop iterations over all runs (default: the preset's unless another limit is given).
        budget_tokens: LLM tokens over all runs.
        budget_seconds: Wall time of the search.
        space: Restrict or extend the space, e.g. ``"artifact=linear;batch_size=1,2"``.
        iterations: Iterations per loop run.
        seeds: Loop runs per setting tried.
        top_k: Settings re-checked on test.
        final_seeds: Fresh seeds per re-checked setting.
        strategy: Search strategy (see ``autoloop.controller.strategy_names``).
        pruner: Optuna pruner (see ``autoloop.controller.pruner_names``).
        confidence: Stop once the pick is certain at this level (default: fixed budget).
        preset: The study plan preset (default ``standard``).
        seed: Sampler seed.
        optimizer: ``llm``, ``local`` or a plug-in's (default: ``llm`` when an endpoint is configured).
        endpoint: The LLM endpoint (default: ``Endpoint.from_env()``).
        sampler: The old name of ``strategy`` (deprecated: accepted for one release, with a warning).

    Returns:
        The recommendation: the chosen settings with validation and test intervals.

    Raises:
        ConfigError: An invalid budget, space or name; the message names it.
    """
    template = _template(task, optimizer, endpoint)
    info = TaskInfo.of(task)
    plan = StudyPlan.resolve(
        preset, iterations=iterations, seeds=seeds, top_k=top_k, final_seeds=final_seeds, strategy=strategy, sampler=sampler,
        pruner=pruner, confidence=confidence,
    )
    budget = plan.budget(iterations=budget_iterations, tokens=budget_tokens, seconds=budget_seconds)
    search_space = SearchSpace.from_task(info, space)
    plan.check_budget(budget, search_space)
    with LocalExecutor(jobs=0) as executor:
        controller = Controller(template, info=info, executor=executor, budget=budget, space=search_space, plan=plan, seed=seed)
        return controller.run()
