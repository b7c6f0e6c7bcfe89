"""``autoloop tune``: search loop settings for a task (or a suite), re-check on test, recommend."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from autoloop.cli._cost import add_cost_arguments, plan_estimate, show_estimate, study_prices
from autoloop.cli._defaults import recommendations
from autoloop.cli._output import print_json, print_table, progress_bar, show_progress
from autoloop.cli._plan import add_plan_overrides, strategy_of
from autoloop.cli._run import add_loop_arguments, check_data_flag, loop_template
from autoloop.controller import (
    AGGREGATES,
    BEST_ARM_MAX_SETTINGS,
    DEFAULT_PRESET,
    DEFAULT_STRATEGY,
    PRESETS,
    Budget,
    Controller,
    PlanEstimate,
    Prior,
    Recommendation,
    SearchSpace,
    StudyPlan,
    StudyPrices,
    StudyStatus,
    SuiteResult,
    outcomes_of,
    pruner_names,
    run_suite,
    share_budget,
    shared_space,
    strategy_names,
    warm_prior,
)
from autoloop.errors import ConfigError
from autoloop.executors import LocalExecutor, RunTemplate
from autoloop.llm import dollars_text
from autoloop.tasks import Metric, TaskInfo, describe_task, load_plugins


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="search starting artifact, credit horizon and batch size for a task",
        description="Search loop settings and recommend one. Up to 64 settings (the default strategy, auto): a "
        "best-arm search over seeds (halving), where settings that stay close get more seeds and each run scores its "
        "best artifact on the held-out test split once at its end, read only to report the pick. Beyond 64 settings, "
        "or with --strategy tpe|random|grid: an Optuna study (each trial = several seeds, pruned from its mean "
        "validation curve) whose top-k settings are re-run with fresh seeds on test. Iterations count optimizer "
        "updates (about one LLM call each) over every run. Scores are shown in the metric's own units.",
    )
    parser.add_argument("task", metavar="TASK", nargs="?", help="task name (see `autoloop tasks`)")
    parser.add_argument("--suite", metavar="TASK,TASK", help="pick one setting for several tasks at once")
    parser.add_argument("--aggregate", choices=AGGREGATES, default="normalized", help="suite: combine tasks by mean normalized score or mean rank")
    parser.add_argument("--space", metavar="SPEC", help="restrict or extend the space, e.g. 'artifact=one_function;batch_size=1,3;memory=0,3'")
    parser.add_argument(
        "--preset", choices=tuple(PRESETS), default=DEFAULT_PRESET,
        help=f"study plan: runs, seeds, re-checks and default budget (default: {DEFAULT_PRESET}); the options below override it",
    )
    parser.add_argument("--budget-iterations", type=int, help="loop iterations over all runs (default: the preset's unless another limit is given)")
    parser.add_argument("--budget-tokens", type=int, help="LLM tokens over all runs")
    parser.add_argument("--budget-seconds", type=float, help="wall time of the search")
    add_cost_arguments(parser)
    plan = add_plan_overrides(parser, shown_by="`--json`", strategies=(
        f"{', '.join(strategy_names())} or a plug-in's; {DEFAULT_STRATEGY} = halving up to {BEST_ARM_MAX_SETTINGS} settings, tpe beyond"
    ))
    plan.add_argument(
        "--confidence", type=float, help="fixed confidence: stop once the pick is certain at this level, e.g. 0.95 (default: fixed budget)"
    )
    plan.add_argument("--pruner", choices=pruner_names(), help="Optuna pruner")
    parser.add_argument("--jobs", type=int, default=2, help="local worker processes (default: 2; 0 = in this process)")
    parser.add_argument("--storage", help="Optuna storage URL (default: in memory)")
    parser.add_argument("--study-name", help="study name in --storage (resumes an existing study)")
    parser.add_argument("--seed", type=int, default=0, help="sampler seed (default: 0)")
    parser.add_argument(
        "--warm-start", nargs="+", type=Path, metavar="RESULT.json",
        help="start from past studies of this task or its family (results of `autoloop tune --json`): their best settings "
        "get the first seeds and count in the estimates, each less than one run of this study",
    )
    add_loop_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    tasks = _tasks(args)
    load_plugins()  # a plug-in module may register strategies, pruners and samplers as well as tasks
    plan = study_plan(args)
    budget = plan.budget(
        iterations=args.budget_iterations, tokens=args.budget_tokens, seconds=args.budget_seconds, dollars=args.budget_dollars
    )
    for task in tasks:
        check_data_flag(task, describe_task(task), args.data)
    templates = {task: loop_template(task, args) for task in tasks}
    infos = {task: describe_task(task, templates[task].task_options) for task in tasks}  # a CSV task's metric comes with its options
    spaces = {task: SearchSpace.from_task(info, args.space) for task, info in infos.items()}
    if args.suite:
        plan.check_budget(share_budget(budget, len(tasks)), shared_space(list(spaces.values())))
        _check_data(templates.values())
        with LocalExecutor(jobs=args.jobs) as executor:
            controller = _controllers(args, templates, infos, plan, executor, prices=None, prior=None)  # each task priced by its controller
            return _show_suite(run_suite(tasks, spaces, budget, controller, aggregate=args.aggregate), plan, as_json=args.json)
    task = tasks[0]
    plan.check_budget(budget, spaces[task])
    prices = study_prices(args, templates[task])
    estimate = plan_estimate(args, plan, spaces[task], budget, templates[task], prices)  # builds the task: data checked
    if args.dry_run:
        show_estimate(estimate, plan, as_json=args.json)
        return 0
    prices = replace(prices, dollars_per_iteration=estimate.dollars_per_iteration)
    prior = warm_prior(list(recommendations(args.warm_start)), task, infos[task]) if args.warm_start else None
    with LocalExecutor(jobs=args.jobs) as executor:
        recommendation = _controllers(args, templates, infos, plan, executor, prices=prices, prior=prior)(task, spaces[task], budget).run()
    _show(recommendation, plan, estimate, as_json=args.json)
    return 0


def _tasks(args: argparse.Namespace) -> list[str]:
    """The task or the suite's tasks; the flags that go with one task only are refused for a suite."""
    tasks = args.suite.split(",") if args.suite else [args.task] if args.task else []
    if not tasks or (args.suite and args.task):
        raise ConfigError("name one TASK or pass --suite TASK,TASK (not both)")
    if args.suite and (args.dry_run or args.budget_dollars is not None):
        raise ConfigError("--dry-run and --budget-dollars take one TASK, not --suite")
    if args.warm_start and args.suite:
        raise ConfigError("--warm-start starts one study; tune the suite's tasks one by one to warm-start them")
    if args.calibrate and not args.dry_run:
        raise ConfigError("--calibrate goes with --dry-run")
    return tasks


def _controllers(
    args: argparse.Namespace, templates: dict[str, RunTemplate], infos: dict[str, TaskInfo], plan: StudyPlan, executor: LocalExecutor,
    *, prices: StudyPrices | None, prior: Prior | None,
) -> Callable[[str, SearchSpace, Budget], Controller]:
    """Makes the controller of one task's study on ``executor`` (a suite makes one per task)."""
    def controller(task: str, space: SearchSpace, task_budget: Budget) -> Controller:
        return Controller(
            templates[task], info=infos[task], executor=executor, budget=task_budget, space=space, plan=plan, parallel=max(args.jobs, 1),
            storage=args.storage, study_name=_study_name(args.study_name, task, suite=bool(args.suite)), seed=args.seed,
            on_status=_Bar(task, task_budget, infos[task].metric, enabled=show_progress(args)), prices=prices, prior=prior,
        )

    return controller


def study_plan(args: argparse.Namespace) -> StudyPlan:
    """The plan of ``--preset`` with the plan options given on top (as the service resolves it)."""
    return StudyPlan.resolve(
        args.preset, iterations=args.iterations, seeds=args.seeds, top_k=args.top_k, final_seeds=args.final_seeds,
        strategy=strategy_of(args), pruner=args.pruner, confidence=args.confidence, val_interval=args.val_interval,
        patience=args.patience, memory=args.memory,
    )


def _study_name(name: str | None, task: str, *, suite: bool) -> str | None:
    """One study per task: a suite's studies share the name, suffixed by task."""
    return f"{name}-{task}" if name and suite else name


def _check_data(templates: Iterable[RunTemplate]) -> None:
    """Build each task once here, so missing data or endpoints stop the command before any run
    starts (the workers would report it too, but a suite's later task only after the earlier ones)."""
    for template in templates:
        template.build_task().close()


class _Bar:
    """A progress bar over the study's iteration budget, fed by ``StudyStatus`` updates."""

    def __init__(self, task: str, budget: Budget, metric: Metric, *, enabled: bool) -> None:
        self.bar = progress_bar(budget.iterations or 0, f"tune {task}", enabled=enabled)
        self.metric = metric

    def __call__(self, status: StudyStatus) -> None:
        self.bar.update(status.iterations - self.bar.n)
        best = "-" if status.best_value is None else f"{self.metric.display(status.best_value):.4f} {self.metric.name}"
        spent = {} if status.dollars is None else {"spent": dollars_text(status.dollars)}
        self.bar.set_postfix(stage=status.stage, best=best, **spent, **status.trials, refresh=False)
        if status.stage == "done":
            self.bar.close()


def _row(rank: str, report: object, metric: Metric) -> list[object]:
    val, test, gap = report.validation, report.test, report.gap  # type: ignore[attr-defined]
    s = report.settings  # type: ignore[attr-defined]
    extra = ",".join(f"{k}={v}" for k, v in s.items() if k not in ("starting_artifact", "credit_horizon", "batch_size"))
    revalidated = [o.revalidation for o in outcomes_of(report.runs) if o.revalidation is not None]  # type: ignore[attr-defined]
    reval = f"{metric.display(sum(revalidated) / len(revalidated)):.4f} ({len(revalidated)} runs)" if revalidated else "-"
    return [
        rank, s["starting_artifact"], s["credit_horizon"], s["batch_size"], extra or "-",
        _shown(val, metric), reval, _shown(test, metric), round(gap.mean, 4), test.n,
        f"{report.failures.failed}/{report.failures.evaluations}",  # type: ignore[attr-defined]
    ]


def _shown(interval: object, metric: Metric) -> str:
    d = interval.to_dict(metric)  # type: ignore[attr-defined]
    return f"{d['mean']:.4f} ({d['note']})" if d["ci95"] is None else f"{d['mean']:.4f} [{d['ci95'][0]:.4f}, {d['ci95'][1]:.4f}]"


def _show(rec: Recommendation, plan: StudyPlan, estimate: PlanEstimate, *, as_json: bool) -> None:
    if as_json:
        print_json({**rec.to_dict(), "plan": plan.to_dict(), "estimate": estimate.to_dict()})
        return
    m = rec.metric
    headers = [
        "rank", "artifact", "horizon", "batch", "other", f"val {m.name} [95% CI]", f"re-validation {m.name}", f"test {m.name} [95% CI]",
        "val-test gap", "seeds", "failed",
    ]
    rows = [_row("1 (chosen)", rec.winner, m)] + [_row(str(i + 2), r, m) for i, r in enumerate(rec.runners_up)]
    print(f"scores: {m.direction}; runners-up by validation, best first")
    print_table(headers, rows)
    spent = rec.spent
    print(f"\nspent {spent['iterations']} iterations, {spent['tokens']} tokens, {dollars_text(spent['dollars'])}, {spent['seconds']} s; "
          f"search ended by: {rec.stop_reason}; trials: {rec.trials}")
    returned, run = rec.returned_test, rec.returned_run()
    if returned is not None and run is not None:
        print(f"returned artifact (run {run.run_id}): test {m.name} {_shown(returned, m)} over {returned.n} {returned.unit}; "
              f"chosen setting's test: {rec.winner.source}")
    revalidated = [o for o in outcomes_of(rec.runs) if o.revalidation is not None]
    if revalidated:
        print(f"re-validation (each finished run's returned artifact, scored once): {len(revalidated)} runs, "
              f"{sum(r.revalidation_evaluations for r in revalidated)} evaluations, {sum(r.revalidation_tokens for r in revalidated)} tokens, "
              f"{sum(r.revalidation_seconds for r in revalidated):.1f} s")
    print(f"estimated {estimate.iterations} iterations, {dollars_text(estimate.dollars)}; spent per setting: "
          + "; ".join(f"{_compact(row['settings'])} {dollars_text(row['dollars'])}" for row in spent["per_setting"]))
    if rec.failures.failed:
        print(f"failures: {rec.failures.summary()}")
    flag = "; ".join(rec.meta_overfitting.reasons) if rec.meta_overfitting.flagged else "none seen"
    print(f"meta-overfitting: {flag}")
    for settings, reason in rec.infeasible:
        print(f"not run: {_compact_named(settings)}: {reason}")
    if rec.warm_start is not None:
        print(f"warm start: {rec.warm_start['text']}; {rec.warm_start['rule']}")
    if rec.verdict is not None:
        p_best = "-" if rec.verdict.p_best is None else f"{rec.verdict.p_best:.2f}"
        print(f"verdict ({rec.strategy}, P(best) = {p_best}): {rec.verdict.text}")
    for warning in rec.warnings:
        print(f"warning: {warning}")


def _show_suite(result: SuiteResult, plan: StudyPlan, *, as_json: bool) -> int:
    if as_json:
        print_json({**result.to_dict(), "plan": plan.to_dict()})
        return 0
    print(f"suite choice ({result.aggregate}): {result.settings}")
    headers = ["task", "suite setting test", "task's own best setting", "own test", "differs"]
    rows = [
        [
            t.task, _shown(t.suite_report.test, t.metric), _compact(t.own_best.settings), _shown(t.own_best.test, t.metric),
            "yes" if t.differs else "no",
        ]
        for t in result.per_task
    ]
    print_table(headers, rows)
    return 0


def _compact_named(settings: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in settings.items())


def _compact(settings: dict) -> str:
    return ",".join(str(v) for v in settings.values())
