"""Controller: run one study (any search strategy through the one scheduler loop) and recommend
a setting with an honest verdict."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from autoloop.controller import _scheduler as scheduler
from autoloop.controller import _state as state
from autoloop.controller._budget import Budget, Meter
from autoloop.controller._cost import StudyPrices, spend
from autoloop.controller._feasibility import prompt_feasibility
from autoloop.controller._plan import DEFAULT_PRESET, PRESETS, StudyPlan
from autoloop.controller._prior import Prior
from autoloop.controller._recommendation import MetaOverfitting, Recommendation, SettingReport
from autoloop.controller._runs import RunBook, StudyStatus
from autoloop.controller._space import SearchSpace
from autoloop.controller._strategy import (
    FINAL_SEED_BASE,
    Proposal,
    StopReason,
    make_strategy,
    resolve_strategy,
)
from autoloop.controller._study import create_study
from autoloop.controller._trials import TrialRuns
from autoloop.controller._verdict import DEFAULT_CONFIDENCE, Verdict
from autoloop.errors import ConfigError
from autoloop.executors import Executor, RunTemplate
from autoloop.tasks import TaskInfo, describe_task

# Seeds one setting may get in a best-arm search (more than any budget affords in practice).
MAX_SEEDS = 100


class Controller:
    """Runs one study and recommends a setting with a verdict (``Recommendation.verdict``).

    The plan's strategy (``SearchStrategy``, by registered name) proposes runs; the scheduler
    loop (``_scheduler.search``) runs them within the budget and stops the runs the strategy
    gives up on; a strategy with a re-check (Optuna's) then runs its finalists on fresh seeds.
    The verdict compares the settings whose runs scored test, on their runs' scores paired by
    seed (``Outcome.value``: re-validation when present, else best validation); test is read only
    to report the pick and the settings indistinguishable from it.

    The controller never builds the task: ``info`` gives the metric and the default space, and
    the workers build the task for each run (a run that cannot, e.g. for missing data, fails the
    study with the worker's message).

    Args:
        template: What every run shares (task, data, task options, optimizer, endpoint), resolved
            where the study was created (``resolve_template``); every job is stamped from it.
        info: What the task declares (default: ``describe_task(template.task, template.task_options)``).
        executor: Where loop runs go.
        budget: Limits of the study.
        space: Settings to search (default: ``SearchSpace.from_task(info)``).
        plan: Loop settings, seeds, re-checks, strategy, pruner and confidence (default: the
            ``standard`` preset); its ranges are checked where it is made (``StudyPlan``).
        parallel: Runs kept in flight (match the executor's workers).
        max_seeds: Seeds a best-arm search may give one setting.
        storage: Optuna storage URL (``None`` = in memory); study_name: its name there.
        seed: Seeds the strategy.
        on_status: Called with a ``StudyStatus`` as the study progresses.
        prices: What the runs' tokens cost (default: ``StudyPrices.of(template)``); a dollar
            budget needs every model's price.
        prior: A warm start from past studies (``Prior``; best-arm strategies): it orders the
            first seeds and is blended into the estimates; the recommendation reports it.

    Raises:
        ConfigError: ``parallel`` or ``max_seeds`` below 1.
        UnknownNameError: The plan's strategy names none.
    """

    def __init__(
        self,
        template: RunTemplate,
        *,
        info: TaskInfo | None = None,
        executor: Executor,
        budget: Budget,
        space: SearchSpace | None = None,
        plan: StudyPlan = PRESETS[DEFAULT_PRESET],
        parallel: int = 1,
        max_seeds: int = MAX_SEEDS,
        storage: str | None = None,
        study_name: str | None = None,
        seed: int = 0,
        on_status: Callable[[StudyStatus], None] | None = None,
        prices: StudyPrices | None = None,
        prior: Prior | None = None,
    ) -> None:
        for name, value in (("parallel", parallel), ("max_seeds", max_seeds)):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value!r}")
        info = info or describe_task(template.task, template.task_options)
        # Settings whose prompt cannot fit the LLM's context window are left out before any run.
        self.metric, self.space = info.metric, prompt_feasibility(space or SearchSpace.from_task(info), template)
        self.strategy = resolve_strategy(plan.strategy, self.space)
        self.level = plan.confidence or DEFAULT_CONFIDENCE
        self.task, self.template, self.executor, self.budget, self.plan = template.task, template, executor, budget, plan
        self.parallel, self.max_seeds, self.storage, self.study_name, self.seed = parallel, max_seeds, storage, study_name, seed
        self.on_status = on_status or (lambda status: None)
        self.prices = prices or StudyPrices.of(template)
        if budget.dollars is not None:
            self.prices.require()
        self.prior = prior
        self.status = StudyStatus(iteration_budget=budget.iterations)
        # Run ids derive from the study name when given: unique per study, readable in Redis.
        self._id = study_name or uuid.uuid4().hex[:8]

    def run(self) -> Recommendation:
        """Search, re-check when the strategy does, and recommend one setting.

        With a persistent ``storage`` and a ``study_name`` that already holds this study, the
        controller resumes it: the strategy is handed the runs recorded there, runs without an
        outcome are submitted again, and no finished run runs again.
        """
        iterations = self.plan.iterations
        study, saved, book, meter = self._open()
        limit = self.budget.iterations
        strategy = make_strategy(self.strategy, self.plan.context(
            self.space, planned_runs=None if limit is None else limit // iterations, seed=self.seed,
            study_name=self.study_name or f"autoloop-{self.seed}", max_seeds=self.max_seeds, prior=self.prior,
        ))
        if self.prior is not None and not strategy.uses_prior:
            raise ConfigError(
                f"warm start needs a strategy that starts from a prior (halving, racing, ttts; auto up to 64 settings), "
                f"not {self.strategy!r}: choose one of those or start cold"
            )
        meter.reserved_iterations = strategy.reserve() * iterations
        strategy.resume(book.started(), book.outcomes())
        book.resubmit()
        stop_reason = None if saved.stop_reason is None else StopReason(saved.stop_reason)
        if stop_reason is None:
            stop_reason = scheduler.search(strategy, book, meter, parallel=self.parallel, iterations=iterations)
            state.save_stop_reason(study, stop_reason)
        self.status.stage = "final"
        scheduler.confirm(strategy, book, meter)
        book.close()
        self.status.stage = "done"
        self.on_status(self.status)
        return self._recommend(book, meter, stop_reason, strategy.compared())

    def partial_recommendation(self) -> Recommendation | None:
        """What a study stopped before its end (cancelled) had found, from the runs recorded in
        its study: the verdict over the settings with runs scored on test and the pick's report
        (``stop_reason: cancelled``); ``None`` while the pick has no run scored on test."""
        _, _, book, meter = self._open()
        try:
            return self._recommend(book, meter, "cancelled", None)
        except ConfigError:  # no run scored yet, or none of the pick's on test: nothing to report
            return None

    def _open(self) -> tuple[Any, state.SavedState, RunBook, Meter]:
        """The study (new, or the one ``storage`` holds), what it recorded, its run book and the spend so far."""
        iterations = self.plan.iterations
        study = create_study(
            self.space, sampler="random", pruner="none", iterations=iterations, min_resource=iterations,
            seed=self.seed, storage=self.storage, study_name=self.study_name,
        )
        saved = state.load(study, iterations)
        book = RunBook(
            self.template, self.executor, study, self.space, saved.trials, iterations=iterations, fixed=self._fixed(),
            prefix=self._id, status=self.status, on_status=self.on_status,
        )
        meter = Meter(self.budget, started=saved.started_at, prices=self.prices)
        for outcome in book.outcomes():
            meter.charge_record(outcome.record)
        return study, saved, book, meter

    def _recommend(
        self, book: RunBook, meter: Meter, stop_reason: str, compared: list[dict[str, Any]] | None
    ) -> Recommendation:
        """The verdict over the compared settings (default: those whose runs scored test), and
        the reports of the settings indistinguishable from the pick, pick first."""
        groups = {_key(g.settings): g for g in book.groups.values() if _tested(g)}
        verdict = self._verdict(groups, compared)
        # The verdict reads every seed of the settings it compares, re-checks included: they
        # choose among several finalists, so only a lone finalist's re-check stays fresh.
        fresh = sum(1 for g in groups.values() if any(s >= FINAL_SEED_BASE for s in g.seeds.values())) <= 1
        reports = [r for r in (_report(groups[_key(s)], fresh) for s in verdict.indistinguishable if _key(s) in groups) if r]
        if not reports or reports[0].settings != verdict.pick:
            raise ConfigError("the pick's runs have no test score; see `--verbose` and the runs' errors")
        runs = tuple(rec for g in book.groups.values() for rec in g.records.values())
        state.save_pick(book.study, reports[0].settings, verdict.text, self.metric)
        return Recommendation(
            task=self.task, metric=self.metric, settings={**self._fixed(), **reports[0].settings},
            winner=reports[0], runners_up=tuple(sorted(reports[1:], key=lambda r: r.validation.mean, reverse=True)), runs=runs,
            meta_overfitting=MetaOverfitting.of(reports[0]), spent={**meter.to_dict(), **spend(runs, self.prices, self.space.choices)},
            trials=dict(self.status.trials), stop_reason=stop_reason, strategy=self.strategy, verdict=verdict,
            infeasible=tuple(self.space.infeasible_settings()), warm_start=None if self.prior is None else self.prior.to_dict(),
        )

    def _verdict(self, groups: dict[tuple, TrialRuns], compared: list[dict[str, Any]] | None) -> Verdict:
        """The verdict over ``compared`` (default: every setting in ``groups``), on each one's seed values."""
        settings = [g.settings for g in groups.values()] if compared is None else compared
        values = {i: groups[_key(s)].seed_values() for i, s in enumerate(settings) if _key(s) in groups}
        prior = None if self.prior is None else self.prior.arms(settings)
        verdict = Verdict.of(settings, values, self.level, seed=self.seed, metric=self.metric, prior=prior)
        if verdict is None:
            raise ConfigError("no run produced a validation score; raise the budget or check the failed runs' errors")
        return verdict

    def recheck(self, settings: list[dict[str, Any]]) -> list[SettingReport]:
        """Re-run each setting with the plan's ``final_seeds`` fresh seeds scored on test (a suite
        compares every task's finalists on every task). The runs are recorded in a study of their own."""
        iterations = self.plan.iterations
        study = create_study(self.space, sampler="random", pruner="none", iterations=iterations, min_resource=iterations, seed=self.seed)
        book = RunBook(
            self.template, self.executor, study, self.space, [], iterations=iterations, fixed=self._fixed(),
            prefix=f"{self._id}-recheck", status=self.status, on_status=self.on_status,
        )
        seeds = tuple(FINAL_SEED_BASE + i for i in range(self.plan.final_seeds))
        for s in settings:
            book.start(Proposal(s, seeds))
        while book.in_flight:
            book.pump(None)
        return [r for r in (_report(g) for g in book.groups.values()) if r is not None]

    def _fixed(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self.plan.loop).items() if k not in self.space.choices}


def _tested(group: TrialRuns) -> bool:
    return any(r.test is not None for r in group.records.values())


def _search_values(group: TrialRuns) -> dict[int, float]:
    """Seed -> score of the setting's search runs (confirmation seeds left out)."""
    return {s: v for s, v in group.seed_values().items() if s < FINAL_SEED_BASE}


def _report(group: TrialRuns, fresh: bool = True) -> SettingReport | None:
    """The setting's report over its runs that scored test (``None`` when none did); ``fresh``:
    its confirmation runs were not read to choose."""
    if not _tested(group):
        return None
    search = list(_search_values(group).values())
    mean = sum(search) / len(search) if search else None
    return SettingReport.of(group.settings, mean, list(group.records.values()), confirmed=fresh)


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))
