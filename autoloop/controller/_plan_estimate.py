"""PlanEstimate: what a study will spend before its first run (runs, LLM calls, tokens, dollars, wall time).

Sizes come from what is known without calling anything: the plan and the budget give the
runs (``planned_runs``), the task's starting artifacts and background and the optimizer's own
prompt template give each update's prompt (``update_tokens``). What cannot be known offline
(the evidence a rollout writes, the reply's length, the server's speed, the evaluation time)
is assumed, each assumption printed with the estimate; ``measured`` scales the per-update
figures by one real update against the endpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from autoloop.context import Attempt, LearningContext
from autoloop.controller._controller import MAX_SEEDS
from autoloop.controller._cost import NO_LLM_OPTIMIZERS, StudyPrices, executor_endpoint
from autoloop.controller._feasibility import prompt_feasibility
from autoloop.controller._strategy import make_strategy
from autoloop.optimizers import DEFAULT_EVIDENCE_TOKENS, build_messages, estimate_tokens
from autoloop.trace import Step, Trace

if TYPE_CHECKING:
    from autoloop.controller._budget import Budget
    from autoloop.controller._plan import StudyPlan
    from autoloop.controller._space import SearchSpace
    from autoloop.executors import RunTemplate
    from autoloop.tasks import Task

# Assumptions (printed with every estimate; a calibration update replaces the per-update ones).
STEP_TOKENS = 120  # one step of a trace in the evidence: input, output, reward and feedback, clipped
RUN_TOKENS = 80  # one run's header, score and overall feedback
REASONING_TOKENS = 150  # the reply's reasoning besides the rewritten parameters
PREFILL_TOKENS_PER_S = 2000.0  # prompt tokens a hosted server reads per second
DECODE_TOKENS_PER_S = 60.0  # completion tokens it writes per second
EVALUATION_S = 2.0  # one iteration's rollouts and validation, besides the LLM call
EXECUTOR_PROMPT_TOKENS = 300  # one executor call: the candidate prompt plus one input


@dataclass(frozen=True)
class UpdateSize:
    """One optimizer update (or, for the executor, one run): LLM calls, prompt and completion tokens, wall seconds."""

    calls: float
    prompt: float
    completion: float
    seconds: float = 0.0


NOTHING = UpdateSize(0, 0, 0)


@dataclass(frozen=True)
class PlanEstimate:
    """The estimate of a whole study; ``to_dict`` gives the ``estimate`` JSON object.

    Args:
        runs: Loop runs the plan and budget allow (search and final stage).
        run_iterations: Optimizer updates per run (each run to its end).
        update: The mean optimizer update over the space's settings.
        executor: One run's executor calls and tokens (prompt tasks; ``NOTHING`` for others).
        prices: The study's prices.
        parallel: Runs in flight at once.
        assumptions: What the figures assume, in plain words.
        calibration: The measured update and its ratio to the template's, when one was made.
    """

    runs: int
    run_iterations: int
    update: UpdateSize
    executor: UpdateSize
    prices: StudyPrices
    parallel: int
    assumptions: tuple[str, ...]
    calibration: dict[str, Any] | None = None

    @property
    def iterations(self) -> int:
        """Optimizer updates over every run."""
        return self.runs * self.run_iterations

    @property
    def dollars_per_iteration(self) -> float | None:
        """One iteration's optimizer update and share of its run's executor calls (what the dollar budget
        assumes before any run; ``None`` if a model has no price)."""
        return _per_iteration(self.prices, self.update, self.executor, self.run_iterations)

    @property
    def dollars(self) -> float | None:
        """Every run's optimizer and executor tokens at their prices (``None`` if a model has no price)."""
        optimizer, executor = self._totals()
        if not self.prices.known or self.prices.optimizer is None:
            return None
        spent = self.prices.optimizer.dollars(optimizer["prompt"], optimizer["completion"])
        return spent + (self.prices.executor.dollars(executor["prompt"], executor["completion"]) if self.prices.executor else 0.0)

    def to_dict(self) -> dict[str, Any]:
        """``{runs, iterations, llm_calls, tokens, dollars, seconds, ...}``: the ``estimate`` object."""
        optimizer, executor = self._totals()
        return {
            "runs": self.runs,
            "iterations": self.iterations,
            "llm_calls": optimizer["calls"] + executor["calls"],
            "tokens": {
                "prompt": optimizer["prompt"] + executor["prompt"], "completion": optimizer["completion"] + executor["completion"],
                "optimizer": optimizer, "executor": executor,
            },
            "dollars": self.dollars,
            "dollars_per_iteration": self.dollars_per_iteration,
            "seconds": round(math.ceil(self.runs / self.parallel) * self.run_iterations * self.update.seconds, 1),
            "per_update": {"calls": self.update.calls, "prompt_tokens": round(self.update.prompt),
                           "completion_tokens": round(self.update.completion), "seconds": round(self.update.seconds, 2)},
            "prices": self.prices.to_dict(),
            "assumptions": list(self.assumptions),
            "calibration": self.calibration,
        }

    def _totals(self) -> tuple[dict[str, int], dict[str, int]]:
        """The optimizer's and the executor's calls, prompt and completion tokens over every run."""
        optimizer = {f: round(self.iterations * getattr(self.update, f)) for f in ("calls", "prompt", "completion")}
        return optimizer, {f: round(self.runs * getattr(self.executor, f)) for f in ("calls", "prompt", "completion")}


def estimate_plan(
    plan: StudyPlan, space: SearchSpace, budget: Budget, template: RunTemplate, task: Task, *, prices: StudyPrices, parallel: int = 1,
    measured: tuple[UpdateSize, UpdateSize] | None = None,
) -> PlanEstimate:
    """Estimate the study ``plan`` runs on ``space`` within ``budget`` (``task`` is built, never run).

    Args:
        measured: One real update and the template's estimate of the same update (``calibration``):
            every per-update figure is scaled by their ratio before the runs the budget pays for are counted.
    """
    llm = template.optimizer not in NO_LLM_OPTIMIZERS
    space = prompt_feasibility(space, template)  # settings too large for the context window never run
    sizes = [update_tokens(task, template, s, plan.memory) if llm else UpdateSize(0, 0, 0, EVALUATION_S) for s in space.grid()]
    update = UpdateSize(*(sum(getattr(u, f) for u in sizes) / len(sizes) for f in ("calls", "prompt", "completion", "seconds")))
    update, calibration = _calibrated(update, *measured) if measured else (update, None)
    endpoint = executor_endpoint(template)
    executor = executor_run(plan, space, task, endpoint.max_tokens) if endpoint else NOTHING
    runs = planned_runs(plan, space, budget, update, _per_iteration(prices, update, executor, plan.iterations), parallel)
    assumptions = [
        f"every run takes all {plan.iterations} iterations (no early stop on patience or skips); the search spends its "
        "whole budget (a strategy that has tried every setting, or is confident of its pick, ends sooner)",
        f"{parallel} run(s) in flight at once; {EVALUATION_S:g} s of rollouts and validation per iteration",
    ]
    if llm:
        assumptions += [
            f"one LLM call per update (no parse retries); the prompt is the optimizer's template with the starting artifact, "
            f"the background and {plan.memory} remembered attempt(s); its evidence shows {RUN_TOKENS} tokens per run and "
            f"{STEP_TOKENS} per step of the credit horizon, capped at the optimizer's evidence budget; tokens counted as "
            "characters / 4",
            f"the reply rewrites every editable parameter plus {REASONING_TOKENS} tokens of reasoning, at most max_tokens",
            f"the server reads {PREFILL_TOKENS_PER_S:g} prompt tokens/s and writes {DECODE_TOKENS_PER_S:g} completion tokens/s",
        ]
    if endpoint:
        assumptions.append(
            f"executor: one call per train instance of each update, per validation instance at each validation and per test "
            f"instance of each run's end, none served from its cache; {EXECUTOR_PROMPT_TOKENS} prompt tokens and half of "
            f"max_tokens ({endpoint.max_tokens}) completion tokens each"
        )
    if calibration:
        assumptions.append("per-update tokens and seconds scaled by one real update of the first setting (see calibration)")
    return PlanEstimate(runs, plan.iterations, update, executor, prices, parallel, tuple(assumptions), calibration)


def update_tokens(task: Task, template: RunTemplate, settings: dict[str, Any], memory: int) -> UpdateSize:
    """One update of ``settings``: its prompt from the optimizer's template, its reply assumed (see the constants)."""
    endpoint = template.endpoint
    artifact = task.starting_artifact(settings.get("starting_artifact") or task.artifacts[0])
    batch, horizon = settings.get("batch_size", 1), settings.get("credit_horizon", 1)
    steps = tuple(Step("", "") for _ in range(min(horizon, 1000)))
    traces = tuple(Trace(f"train-{i}", "train", steps, 0.0) for i in range(batch))
    attempts = tuple(Attempt(i, "0" * 8, (), 0.0) for i in range(memory))
    context = LearningContext(artifact, traces, task.background, attempts)
    skeleton = estimate_tokens(build_messages(context, evidence_tokens=1, answer_format=endpoint.answer_format))
    evidence = min(batch * (RUN_TOKENS + min(horizon, 1000) * STEP_TOKENS), DEFAULT_EVIDENCE_TOKENS)
    editable = sum(len(artifact.parameters[n]) for n in artifact.editable) / 4 * 1.1  # JSON-escaped code grows a little
    prompt, completion = skeleton + evidence, min(editable + REASONING_TOKENS, endpoint.max_tokens)
    return UpdateSize(1.0, prompt, completion, prompt / PREFILL_TOKENS_PER_S + completion / DECODE_TOKENS_PER_S + EVALUATION_S)


def planned_runs(
    plan: StudyPlan, space: SearchSpace, budget: Budget, update: UpdateSize, dollars_per_iteration: float | None, parallel: int
) -> int:
    """Runs the budget pays for: the smallest count any of its limits allows (at most ``MAX_SEEDS`` a
    setting), in whole proposals of the plan's strategy plus the runs it sets aside for its re-check."""
    strategy = make_strategy(plan.strategy, plan.context(space, planned_runs=None, seed=0, study_name="estimate", max_seeds=MAX_SEEDS))
    reserve = strategy.reserve()
    per_run = {
        "iterations": plan.iterations,
        "tokens": plan.iterations * (update.prompt + update.completion),
        "seconds": plan.iterations * update.seconds / parallel,
        "dollars": plan.iterations * (dollars_per_iteration or 0.0),
    }
    allowed = [space.size * MAX_SEEDS + reserve]
    for name, cost in per_run.items():
        limit = getattr(budget, name)
        if limit is not None and cost > 0:
            allowed.append(int(limit // cost))
    proposals = max(1, (min(allowed) - reserve) // strategy.cost)  # the first proposal always starts
    return proposals * strategy.cost + reserve


def executor_run(plan: StudyPlan, space: SearchSpace, task: Task, max_tokens: int) -> UpdateSize:
    """One run's executor calls and tokens: its train batches, validations and test (see the assumptions)."""
    batch = sum(s.get("batch_size", 1) for s in space.grid()) / space.size
    val, test = len(task.split("val")), len(task.split("test"))
    calls = plan.iterations * batch + (plan.iterations // plan.val_interval) * val + test
    return UpdateSize(calls, calls * EXECUTOR_PROMPT_TOKENS, calls * max_tokens / 2)


def _calibrated(update: UpdateSize, measured: UpdateSize, template_update: UpdateSize) -> tuple[UpdateSize, dict[str, Any]]:
    """``update`` scaled by one real update's figures against the template's for the same setting, and the record of it."""
    ratio = {f: (getattr(measured, f) / getattr(template_update, f)) if getattr(template_update, f) else 1.0
             for f in ("prompt", "completion", "seconds")}
    calibration = {
        "measured": {"prompt_tokens": measured.prompt, "completion_tokens": measured.completion, "seconds": round(measured.seconds, 2)},
        "template": {"prompt_tokens": round(template_update.prompt), "completion_tokens": round(template_update.completion),
                     "seconds": round(template_update.seconds, 2)},
        "ratio": {f: round(r, 3) for f, r in ratio.items()},
    }
    return replace(update, **{f: getattr(update, f) * r for f, r in ratio.items()}), calibration


def _per_iteration(prices: StudyPrices, update: UpdateSize, executor: UpdateSize, run_iterations: int) -> float | None:
    if not prices.known or prices.optimizer is None:
        return None
    spent = prices.optimizer.dollars(round(update.prompt), round(update.completion))
    if executor.calls and prices.executor is not None:
        spent += prices.executor.dollars(round(executor.prompt), round(executor.completion)) / run_iterations
    return spent
