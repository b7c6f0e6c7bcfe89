"""A study request's prices and plan estimate: ``POST /v1/studies?dry_run=true`` and the dollar budget.

A dry run checks the request as a submission would (``admit``, the template, the data), then
estimates the plan from the task's declared sizes and the optimizer's prompt template, without
storing anything or contacting any endpoint.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from autoloop.controller import PlanEstimate, SearchSpace, StudyPlan, StudyPrices, estimate_plan
from autoloop.llm import Price
from autoloop.service._admission import admit, check_data
from autoloop.service._models import StudyCreate, StudyEstimate
from autoloop.service._template import request_template
from autoloop.tasks import describe_task

if TYPE_CHECKING:
    from autoloop.executors import RunTemplate


def study_prices(request: StudyCreate, template: RunTemplate, plan: StudyPlan) -> StudyPrices:
    """The study's prices; with ``budget.dollars``, with the estimate's cost per iteration, which
    the budget uses until runs report their own.

    Raises:
        ConfigError: ``budget.dollars`` with a model that has no price; the message names ``prices``.
    """
    prices = request_prices(request, template)
    if request.budget.dollars is None:
        return prices
    return replace(prices, dollars_per_iteration=_estimate(request, template, plan, prices).dollars_per_iteration)


def dry_run(request: StudyCreate) -> StudyEstimate:
    """What ``request`` would spend, checked as a submission is; nothing is stored or run.

    Raises:
        ConfigError: A field of the request cannot work (as at submission).
    """
    admission = admit(request)
    template = request_template(request)
    check_data(template)
    estimate = _estimate(request, template, admission.plan, request_prices(request, template))
    return StudyEstimate(estimate=estimate.to_dict(), plan=admission.plan.to_dict())


def request_prices(request: StudyCreate, template: RunTemplate) -> StudyPrices:
    """``prices`` over the table; every model priced when ``budget.dollars`` is given."""
    overrides = {model: Price(prompt, completion, "prices") for model, (prompt, completion) in request.prices.items()}
    prices = StudyPrices.of(template, overrides)
    return prices.require(api=True) if request.budget.dollars is not None else prices


def _estimate(request: StudyCreate, template: RunTemplate, plan: StudyPlan, prices: StudyPrices) -> PlanEstimate:
    space = SearchSpace.from_task(describe_task(request.task, template.task_options), request.space)
    task = template.build_task()
    try:
        return estimate_plan(plan, space, request.budget.limits(plan), template, task, prices=prices, parallel=request.parallel)
    finally:
        task.close()
