"""A study request's prices and plan estimate (``POST /v1/studies?dry_run=true``, the dollar budget).

The estimate comes from the task's declared sizes and the optimizer's prompt template; the task
is built where the request is checked, never run, and no endpoint is contacted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from autoloop.controller import PlanEstimate, SearchSpace, StudyPlan, StudyPrices, estimate_plan
from autoloop.llm import Price
from autoloop.service._models import StudyCreate
from autoloop.tasks import describe_task

if TYPE_CHECKING:
    from autoloop.executors import RunTemplate


def estimate_request(request: StudyCreate, template: RunTemplate, plan: StudyPlan) -> PlanEstimate:
    """The estimate of ``request``'s study (the task is built here, never run).

    Raises:
        ConfigError: ``budget.dollars`` with a model that has no price; the message names ``prices``.
    """
    space = SearchSpace.from_task(describe_task(request.task, template.task_options), request.space)
    task = template.build_task()
    try:
        return estimate_plan(
            plan, space, request.budget.limits(plan), template, task, prices=request_prices(request, template), parallel=request.parallel
        )
    finally:
        task.close()


def study_prices(request: StudyCreate, template: RunTemplate, estimate: dict[str, Any] | None) -> StudyPrices:
    """The study's prices, with the cost per iteration of its ``estimate`` (kept when it was created),
    which the dollar budget uses until runs report their own."""
    per_iteration = estimate.get("dollars_per_iteration") if estimate else None
    return replace(request_prices(request, template), dollars_per_iteration=per_iteration)


def request_prices(request: StudyCreate, template: RunTemplate) -> StudyPrices:
    """``prices`` over the table; every model priced when ``budget.dollars`` is given.

    Raises:
        ConfigError: ``budget.dollars`` with a model that has no price.
    """
    overrides = {model: Price(prompt, completion, "prices") for model, (prompt, completion) in request.prices.items()}
    prices = StudyPrices.of(template, overrides)
    return prices.require(api=True) if request.budget.dollars is not None else prices
