"""The CLI's money: ``--price``, ``--budget-dollars``, ``--dry-run`` and ``--calibrate``, and how spend is shown."""

from __future__ import annotations

import argparse
import tempfile
from typing import TYPE_CHECKING

from autoloop.cli._output import print_json
from autoloop.controller import PlanEstimate, StudyPrices, UpdateSize, estimate_plan, update_tokens
from autoloop.llm import Price, dollars_text, parse_price

if TYPE_CHECKING:
    from autoloop.controller import Budget, SearchSpace, StudyPlan
    from autoloop.executors import RunTemplate
    from autoloop.tasks import Task


def add_price_argument(parser: argparse.ArgumentParser) -> None:
    """``--price MODEL=IN,OUT``, repeatable: every command that spends tokens takes it."""
    parser.add_argument(
        "--price", action="append", default=[], metavar="MODEL=IN,OUT",
        help="US dollars per million prompt and completion tokens of MODEL, over the genai-prices table (repeatable; "
        "prices the optimizer's and the executor's models; servers on loopback cost $0 unless priced)",
    )


def add_cost_arguments(parser: argparse.ArgumentParser) -> None:
    """``--budget-dollars``, ``--dry-run`` and ``--calibrate`` of ``autoloop tune``."""
    parser.add_argument(
        "--budget-dollars", type=float, metavar="USD",
        help="LLM spend over all runs: a run starts only if it and the runs in flight, at the cost per iteration "
        "seen so far (before any: the estimate's), fit what is left",
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="print the plan's estimated runs, iterations, LLM calls, tokens, dollars and wall time, with its assumptions; "
        "run nothing and contact no endpoint",
    )
    parser.add_argument(
        "--calibrate", action="store_true", help="with --dry-run: make one real update against the endpoint and scale the estimate by it",
    )


def study_prices(args: argparse.Namespace, template: RunTemplate) -> StudyPrices:
    """The study's prices: ``--price`` over the table; required when ``--budget-dollars`` is given.

    Raises:
        ConfigError: A malformed ``--price``, or a dollar budget with an unpriced model.
    """
    overrides: dict[str, Price] = dict(parse_price(text) for text in args.price)
    prices = StudyPrices.of(template, overrides)
    return prices.require() if getattr(args, "budget_dollars", None) is not None else prices


def plan_estimate(
    args: argparse.Namespace, plan: StudyPlan, space: SearchSpace, budget: Budget, template: RunTemplate, prices: StudyPrices,
) -> PlanEstimate:
    """The study's estimate, made from one build of the task (and one real update with ``--calibrate``)."""
    task = template.build_task()
    try:
        settings = space.grid()[0]
        measured = (_one_update(template, task, settings, plan), update_tokens(task, template, settings, plan.memory)) if args.calibrate else None
        return estimate_plan(plan, space, budget, template, task, prices=prices, parallel=max(args.jobs, 1), measured=measured)
    finally:
        task.close()


def show_estimate(estimate: PlanEstimate, plan: StudyPlan, *, as_json: bool) -> None:
    """The dry run's output: the estimate and its assumptions."""
    data = estimate.to_dict()
    if as_json:
        print_json({"estimate": data, "plan": plan.to_dict()})
        return
    tokens = data["tokens"]
    print(f"estimate ({plan.preset} plan): {data['runs']} runs, {data['iterations']} iterations, {data['llm_calls']} LLM calls, "
          f"{tokens['prompt']} prompt + {tokens['completion']} completion tokens, {dollars_text(data['dollars'])}, "
          f"about {data['seconds']:.0f} s")
    for role, priced in data["prices"].items():
        per = priced["prompt_per_million"]
        shown = "unknown (give --price)" if per is None else f"${per:g} / ${priced['completion_per_million']:g} per million ({priced['source']})"
        print(f"  {role} {priced['model']}: {shown}")
    print("assuming:")
    for line in data["assumptions"]:
        print(f"  - {line}")


def _one_update(template: RunTemplate, task: Task, settings: dict, plan: StudyPlan) -> UpdateSize:
    """One real iteration of ``settings`` (seed 0, test not scored): its tokens and wall time."""
    from autoloop.checkpoints import FileCheckpointStore
    from autoloop.executors import run_job

    job = template.job("calibration", {**settings, "iterations": 1, "memory": plan.memory, "seed": 0}, score_test=False)
    with tempfile.TemporaryDirectory() as scratch:
        result = run_job(job, task, store=FileCheckpointStore(scratch))
    return UpdateSize(1.0, result.prompt_tokens, result.completion_tokens, result.wall_time_s)
