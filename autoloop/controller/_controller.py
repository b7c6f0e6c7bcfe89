"""Controller: search loop settings (best-arm identification over seeds, or Optuna with pruning
and a final re-check on test), and recommend one with an honest verdict."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autoloop.controller import _state as state
from autoloop.controller._arms import RULES, allocation_rule
from autoloop.controller._best_arm import BestArmSearch
from autoloop.controller._budget import Budget, Meter
from autoloop.controller._feasibility import prompt_feasibility
from autoloop.controller._prior import Prior
from autoloop.controller._pruners import DEFAULT_PRUNER
from autoloop.controller._recommendation import (
    MetaOverfitting,
    Recommendation,
    SettingReport,
)
from autoloop.controller._runs import RunBook, StudyStatus
from autoloop.controller._samplers import DEFAULT_STRATEGY, resolve_strategy
from autoloop.controller._space import SearchSpace
from autoloop.controller._study import create_study
from autoloop.controller._trials import (
    TrialRuns,
    combined_validation,
    finalists,
)
from autoloop.controller._verdict import DEFAULT_CONFIDENCE, Verdict
from autoloop.errors import ConfigError
from autoloop.executors import Executor, RunTemplate
from autoloop.tasks import TaskInfo, describe_task

# Iterations per loop run: 6 updates keep one ML-pipeline run near 10-20 s on a laptop core.
DEFAULT_ITERATIONS = 6
# Final-stage seeds start here, far from the search seeds 0..S-1.
FINAL_SEED_BASE = 10_000


@dataclass(frozen=True)
class LoopPlan:
    """Loop settings every run of the study shares (knobs in the space override them)."""

    iterations: int = DEFAULT_ITERATIONS
    val_interval: int = 1
    patience: int = 0
    memory: int = 3


class Controller:
    """Runs one study and recommends a setting with a verdict (``Recommendation.verdict``).

    Two strategies. A best-arm rule (``halving``, ``racing``, ``ttts``; the default ``auto`` on spaces up
    to ``BEST_ARM_MAX_SETTINGS`` settings) treats seeds as the resource: a setting already
    tried gets more seeds, settings are compared on paired seeds, and the search stops when
    the pick is certain at ``confidence`` or the budget ends (see ``_best_arm``). An Optuna
    sampler proposes settings instead, each trial runs ``seeds`` loop runs, pruners cut bad
    trials from their mean validation curve, and the top-k settings are re-run with fresh
    seeds and scored on test, the only time test is scored.

    The controller never builds the task: ``info`` gives the metric and the default space, and the workers build the task for each run (a run that
    cannot, e.g. for missing data, fails the study with the worker's message).

    Args:
        template: What every run shares (task, data, task options, optimizer, endpoint), resolved
            where the study was created (``resolve_template``); every job is stamped from it.
        info: What the task declares (default: ``describe_task(template.task, template.task_options)``).
        executor: Where loop runs go.
        budget: Limits of the study.
        space: Settings to search (default: ``SearchSpace.from_task(info)``).
        plan: Loop settings shared by every run.
        seeds: Loop runs per trial (Optuna samplers).
        top_k: Settings re-checked in the final stage (Optuna samplers).
        final_seeds: Fresh seeds per re-checked setting (default ``max(seeds, 3)``; Optuna samplers).
        parallel: Runs kept in flight (match the executor's workers).
        sampler: A search strategy from ``strategy_names()``: ``auto``, a best-arm rule, or an
            Optuna sampler; pruner: a name from ``pruner_names()`` (Optuna samplers).
        confidence: Fixed-confidence mode: a best-arm search stops as soon as its pick is
            certain at this level (or the budget ends). ``None`` = fixed budget, with
            eliminations and the verdict at 95%.
        max_seeds: Seeds a best-arm search may give one setting.
        storage: Optuna storage URL (``None`` = in memory); study_name: its name there.
        seed: Sampler seed.
        on_status: Called with a ``StudyStatus`` as the study progresses.

    Raises:
        ConfigError: ``seeds``, ``top_k``, ``parallel``, ``max_seeds`` or ``confidence`` out of range.
        UnknownNameError: ``sampler`` names no strategy.
    """

    def __init__(
        self,
        template: RunTemplate,
        *,
        info: TaskInfo | None = None,
        executor: Executor,
        budget: Budget,
        space: SearchSpace | None = None,
        plan: LoopPlan = LoopPlan(),
        seeds: int = 3,
        top_k: int = 3,
        final_seeds: int | None = None,
        parallel: int = 1,
        sampler: str = DEFAULT_STRATEGY,
        pruner: str = DEFAULT_PRUNER,
        confidence: float | None = None,
        max_seeds: int = 100,
        storage: str | None = None,
        study_name: str | None = None,
        seed: int = 0,
        on_status: Callable[[StudyStatus], None] | None = None,
        prior: Prior | None = None,
    ) -> None:
        for name, value in (("seeds", seeds), ("top_k", top_k), ("parallel", parallel), ("max_seeds", max_seeds)):
            if not 1 <= value <= 1000:
                raise ConfigError(f"{name} must be in [1, 1000], got {value!r}")
        if confidence is not None and not 0.5 <= confidence < 1:
            raise ConfigError(f"confidence must be in [0.5, 1), e.g. 0.95, got {confidence!r}")
        info = info or describe_task(template.task, template.task_options)
        # Settings whose prompt cannot fit the LLM's context window are left out before any run.
        self.metric, self.space = info.metric, prompt_feasibility(space or SearchSpace.from_task(info), template)
        self.strategy = resolve_strategy(sampler, self.space)
        if prior is not None and self.strategy not in RULES:
            raise ConfigError(f"warm start needs a best-arm strategy ({', '.join(RULES)}, or auto up to 64 settings), not {self.strategy!r}")
        self.prior = prior
        self.confidence, self.level, self.max_seeds = confidence, confidence or DEFAULT_CONFIDENCE, max_seeds
        self.task, self.template = template.task, template
        self.executor, self.budget, self.plan = executor, budget, plan
        self.seeds, self.top_k, self.final_seeds = seeds, top_k, final_seeds or max(seeds, 3)
        self.parallel, self.sampler, self.pruner = parallel, sampler, pruner
        self.storage, self.study_name, self.seed = storage, study_name, seed
        self.on_status = on_status or (lambda status: None)
        self.status = StudyStatus(iteration_budget=budget.iterations)
        # Run ids derive from the study name when given: unique per study, readable in Redis.
        self._id = study_name or uuid.uuid4().hex[:8]
        self.runs = RunBook(template, executor, fixed=self._fixed(), prefix=self._id, status=self.status, on_status=self.on_status)
        self._rechecks = 0

    def run(self) -> Recommendation:
        """Search, re-check the finalists on test, and recommend one setting.

        With a persistent ``storage`` and a ``study_name`` that already holds this study,
        the controller resumes it: trials, runs and outcomes come from the study itself.
        """
        best_arm = self.strategy in RULES
        study = create_study(
            # A best-arm search enqueues its settings itself: the sampler is never consulted.
            self.space, sampler="random" if best_arm else self.strategy, pruner="none" if best_arm else self.pruner,
            iterations=self.plan.iterations, min_resource=max(self.plan.val_interval, self.plan.iterations // 3),
            seed=self.seed, storage=self.storage, study_name=self.study_name,
        )
        self.runs.study = study
        saved = state.load(study, self.plan.iterations)
        reserve = 0 if best_arm else self.top_k * self.final_seeds * self.plan.iterations
        meter = Meter(self.budget, reserved_iterations=reserve, started=saved.started_at)
        for group in (*saved.trials, *saved.finals):
            self._charge_records(group, meter)
        if best_arm:
            return self._run_best_arm(study, meter, saved)
        for group in (g for g in saved.trials if g.told):
            outcome = "pruned" if group.pruned else "complete" if group.value() is not None else "failed"
            self.status.count(outcome)
        self._check_budget(meter)
        stop_reason = saved.stop_reason
        if stop_reason is None:
            stop_reason, searched = self._search(study, meter, saved.trials)
            state.save_stop_reason(study, stop_reason)
        else:
            searched = saved.trials
        best = finalists(searched, self.top_k)
        if not best:
            raise ConfigError("no trial produced a validation score; raise the budget or check the failed runs' errors")
        self.status.stage = "final"
        self.on_status(self.status)
        self._rechecks = len(saved.finals)
        groups = saved.finals or [self._final_group(settings) for settings, _ in best]
        for group in saved.finals:
            self.runs.submit(group, score_test=True, pending_only=True)
        reports = self._reports(self.runs.run_to_end(groups, meter), [v for _, v in best])
        if not reports:
            raise ConfigError("every final-stage run failed; see `--verbose` and the runs' errors, or widen --top-k")
        reports.sort(key=lambda r: combined_validation(r, searched), reverse=True)
        self.status.stage = "done"
        self.on_status(self.status)
        runs = [*(rec for g in searched for rec in g.records.values()), *(rec for r in reports for rec in r.runs)]
        by_key = {_key(g.settings): g for g in searched}
        values = {
            i: {**by_key[_key(r.settings)].seed_values(), **{x.settings["seed"]: x.best_val for x in r.runs if x.best_val is not None}}
            for i, r in enumerate(reports)
        }
        verdict = Verdict.of([r.settings for r in reports], values, self.level, seed=self.seed)
        return self._recommend(reports, runs, meter, stop_reason, verdict)

    def _run_best_arm(self, study: Any, meter: Meter, saved: state.SavedState) -> Recommendation:
        self._check_budget(meter)
        search = BestArmSearch(
            self.runs, self.space, allocation_rule(self.strategy), saved.trials, level=self.level,
            iterations=self.plan.iterations, parallel=self.parallel, max_seeds=self.max_seeds, seed=self.seed, prior=self.prior,
        )
        stop_reason = saved.stop_reason
        if stop_reason is None:
            stop_reason = search.run(meter)
            state.save_stop_reason(study, stop_reason)
        search.tell()
        verdict = Verdict.of(search.settings, search.values(), self.level, seed=self.seed, prior=search.prior_arms)
        if verdict is None:
            raise ConfigError("no run produced a validation score; raise the budget or check the failed runs' errors")
        groups = {_key(g.settings): g for g in search.groups.values()}
        tested = [groups[_key(s)] for s in verdict.indistinguishable if _key(s) in groups and groups[_key(s)].tested]
        if not tested or tested[0].settings != verdict.pick:
            raise ConfigError("the pick's runs have no test score; see `--verbose` and the runs' errors")
        reports = [SettingReport.of(g.settings, g.value(), list(g.records.values())) for g in tested]
        self.status.stage = "done"
        self.on_status(self.status)
        runs = [rec for g in search.groups.values() for rec in g.records.values()]
        return self._recommend(reports, runs, meter, stop_reason, verdict)

    def _recommend(
        self, reports: list[SettingReport], runs: list[Any], meter: Meter, stop_reason: str, verdict: Verdict | None
    ) -> Recommendation:
        return Recommendation(
            task=self.task, metric=self.metric, settings={**self._fixed(), **reports[0].settings},
            winner=reports[0], runners_up=tuple(reports[1:]), runs=tuple(runs),
            meta_overfitting=MetaOverfitting.of(reports[0]), spent=meter.to_dict(),
            trials=dict(self.status.trials), stop_reason=stop_reason, strategy=self.strategy, verdict=verdict,
            infeasible=tuple(self.space.infeasible_settings()), warm_start=None if self.prior is None else self.prior.to_dict(),
        )

    def recheck(
        self, settings: list[dict[str, Any]], *, meter: Meter | None = None, search_values: list[float] | None = None
    ) -> list[SettingReport]:
        """Re-run each setting with ``final_seeds`` fresh seeds, scoring test: the final stage.

        Args:
            settings: Knob values per setting.
            meter: Charged with the iterations spent (``None`` = not counted).
            search_values: Each setting's mean validation in the search, if it had one.
        """
        groups = self.runs.run_to_end([self._final_group(s) for s in settings], meter)
        return self._reports(groups, search_values or [None] * len(groups))

    @staticmethod
    def _reports(groups: list[TrialRuns], search_values: list[float | None]) -> list[SettingReport]:
        return [SettingReport.of(g.settings, v, list(g.records.values())) for g, v in zip(groups, search_values, strict=True) if g.tested]

    @staticmethod
    def _charge_records(group: TrialRuns, meter: Meter) -> None:
        for record in group.records.values():
            meter.charge(record.run_id, record.iterations, record.tokens)

    def _check_budget(self, meter: Meter) -> None:
        limit = meter.search_iterations
        if self.strategy in RULES and limit is not None and limit < self.plan.iterations:
            raise ConfigError(
                f"--budget-iterations {self.budget.iterations} cannot pay for one loop run of {self.plan.iterations} iterations; "
                "raise the budget or lower --iterations"
            )
        trial_cost = self.seeds * self.plan.iterations
        if self.strategy not in RULES and limit is not None and limit < trial_cost:
            raise ConfigError(
                f"--budget-iterations {self.budget.iterations} cannot pay for one trial ({self.seeds} seeds x "
                f"{self.plan.iterations} iterations = {trial_cost}) plus the final stage ({self.top_k} settings x "
                f"{self.final_seeds} seeds x {self.plan.iterations} = {meter.reserved_iterations}); raise the budget "
                "or lower --seeds, --top-k, --final-seeds or --iterations"
            )

    def _fixed(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self.plan).items() if k not in self.space.choices}

    def _final_group(self, settings: dict[str, Any]) -> TrialRuns:
        seeds = [FINAL_SEED_BASE + i for i in range(self.final_seeds)]
        self._rechecks += 1
        runs = {f"{self._id}-final{self._rechecks}-s{s}": s for s in seeds}
        group = TrialRuns(None, settings, runs, self.plan.iterations, final_index=self._rechecks)
        if self.runs.study is not None:
            state.save_group(self.runs.study, group)
        self.runs.submit(group, score_test=True)
        return group

    def _new_trial(self, study: Any, tried: dict[tuple, TrialRuns]) -> TrialRuns | None:
        """Ask for a trial; a setting already tried is told its known outcome instead of re-run."""
        import optuna

        for _ in range(4 * self.space.size):
            trial = study.ask()
            settings = self.space.suggest(trial)
            if not self.space.allows(settings):  # suggested knob by knob: an infeasible combination is never run
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                continue
            known = tried.get(_key(settings))
            if known is None:
                seeds = list(range(self.seeds))
                group = TrialRuns(trial, settings, {f"{self._id}-t{trial.number}-s{s}": s for s in seeds}, self.plan.iterations)
                state.save_group(study, group)
                self.runs.submit(group, score_test=False)
                tried[_key(settings)] = group
                return group
            _tell_duplicate(study, trial, known)
        return None

    def _search(self, study: Any, meter: Meter, restored: list[TrialRuns]) -> tuple[str, list[TrialRuns]]:
        tried: dict[tuple, TrialRuns] = {_key(g.settings): g for g in restored}
        active = [g for g in restored if not g.told]
        for group in active:  # resumed: follow, report or re-submit the runs without an outcome
            self.runs.submit(group, score_test=False, pending_only=True)
        reason: str | None = None
        while True:
            reason = reason or (meter.exhausted() if tried else None)  # the first trial always starts
            while reason is None and sum(len(g.running) for g in active) < self.parallel:
                if len(tried) == self.space.size:
                    reason = "space"
                    break
                committed = sum(g.remaining_iterations for g in active) + self.seeds * self.plan.iterations
                if tried and not meter.can_start(committed):
                    reason = meter.exhausted() or "iterations" if not active else None
                    break
                group = self._new_trial(study, tried)
                if group is None:
                    reason = "space"
                    break
                active.append(group)
            if not active:
                return reason or "space", list(tried.values())
            if reason is not None and reason != "space":
                for group in (g for g in active if not g.pruned):
                    group.pruned = True  # out of budget: end the runs, keep what they reported
                    self.runs.stop(group)
            self.runs.pump(active, meter)
            for group in [g for g in active if g.done]:
                active.remove(group)
                self._tell(study, group)

    def _tell(self, study: Any, group: TrialRuns) -> None:
        import optuna

        value = group.value()
        state.save_seed_values(group)
        if group.pruned:
            study.tell(group.trial, state=optuna.trial.TrialState.PRUNED)
            outcome = "pruned"
        elif value is None:
            study.tell(group.trial, state=optuna.trial.TrialState.FAIL)
            outcome = "failed"
        else:
            study.tell(group.trial, value)
            outcome = "complete"
            best = self.status.best_value
            self.status.best_value = value if best is None else max(best, value)
        group.told = True
        self.status.count(outcome)


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))


def _tell_duplicate(study: Any, trial: Any, known: TrialRuns) -> None:
    import optuna

    value = known.value()
    if known.done and not known.pruned and value is not None:
        study.tell(trial, value)
    else:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED if known.done else optuna.trial.TrialState.FAIL)
