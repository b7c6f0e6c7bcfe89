"""``autoloop run``: one loop run with explicit settings, a progress bar and a final table."""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid

from autoloop.checkpoints import FileCheckpointStore
from autoloop.cli._cost import add_price_argument, study_prices
from autoloop.cli._output import print_json, print_table, progress_bar, show_progress
from autoloop.errors import ConfigError
from autoloop.executors import RunTemplate, resolve_template, run_job
from autoloop.llm import ANSWER_FORMATS, Endpoint, dollars_text, read_context_window
from autoloop.loop import RunProgress
from autoloop.tasks import TaskInfo, describe_task

# --executor-* flags set these variables of this process, which prompt tasks read where their options are resolved.
EXECUTOR_FLAGS = {
    "executor_max_tokens": "AUTOLOOP_EXECUTOR_MAX_TOKENS",
    "executor_timeout": "AUTOLOOP_EXECUTOR_TIMEOUT_S",
    "executor_concurrency": "AUTOLOOP_EXECUTOR_CONCURRENCY",
}


def add_loop_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs loops: data, optimizer and LLM endpoint."""
    parser.add_argument("--data", metavar="PATH", help="task data: a directory or a file, e.g. a CSV for csv:<name> (or AUTOLOOP_DATA)")
    add_task_option_arguments(parser)
    parser.add_argument(
        "--optimizer",
        help="optimizer name: 'llm' (OpenAI-compatible endpoint) or 'local' (offline); "
        "default: llm when OPENAI_BASE_URL/OPENAI_API_KEY is set, else local",
    )
    parser.add_argument("--model", help="LLM model for the llm optimizer (or AUTOLOOP_LLM_MODEL)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (or OPENAI_BASE_URL)")
    llm = parser.add_argument_group("LLM requests (the optimizer's; defaults from AUTOLOOP_LLM_<SETTING>)")
    llm.add_argument("--llm-timeout", type=float, metavar="S", help="seconds per request (AUTOLOOP_LLM_TIMEOUT_S, default 60)")
    llm.add_argument("--llm-retries", type=int, metavar="N", help="retries on 429/5xx (AUTOLOOP_LLM_MAX_RETRIES, default 4)")
    llm.add_argument("--temperature", type=float, help="sampling temperature (AUTOLOOP_LLM_TEMPERATURE, default 0.7)")
    llm.add_argument("--max-tokens", type=int, metavar="N", help="completion tokens per reply (AUTOLOOP_LLM_MAX_TOKENS, default 1024)")
    llm.add_argument(
        "--answer-format", choices=ANSWER_FORMATS,
        help="json, or fenced: a fenced code block per changed parameter (AUTOLOOP_LLM_ANSWER_FORMAT, default json)",
    )
    llm.add_argument(
        "--context-window", type=int, metavar="N",
        help="tokens the model's context holds (AUTOLOOP_LLM_CONTEXT_WINDOW; default: what the server reports, if it does)",
    )
    executor = parser.add_argument_group("executor LLM of prompt tasks, prompt: and bbeh: (defaults from AUTOLOOP_EXECUTOR_<SETTING>)")
    executor.add_argument("--executor-max-tokens", type=int, metavar="N", help="completion tokens per answer (default 512)")
    executor.add_argument("--executor-timeout", type=float, metavar="S", help="seconds per request (default 300)")
    executor.add_argument("--executor-concurrency", type=int, metavar="N", help="requests in flight (default 8)")
    add_price_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def add_task_option_arguments(parser: argparse.ArgumentParser) -> None:
    """``--target``, ``--metric`` and the repeatable ``--task-option KEY=VALUE``: the task options a caller gives."""
    group = parser.add_argument_group("task options (checked against the data before any run starts)")
    group.add_argument("--target", metavar="COLUMN", help="csv:<name>: the column to predict (task option target)")
    group.add_argument(
        "--metric", metavar="NAME", help="csv:<name>: accuracy, rmse or rmse_log (task option metric; default: from the target's values)"
    )
    group.add_argument(
        "--task-option", action="append", default=[], metavar="KEY=VALUE", help="any task option, repeatable (see the task's docs)"
    )


def given_task_options(args: argparse.Namespace) -> dict[str, str]:
    """The task options on the command line: ``--task-option KEY=VALUE`` pairs, then ``--target`` and ``--metric``.

    Raises:
        ConfigError: A pair without ``=`` or an empty key, or a key given twice.
    """
    options: dict[str, str] = {}
    named = [("target", args.target), ("metric", args.metric)]
    pairs = [tuple(pair.partition("=")[::2]) if "=" in pair else (pair, None) for pair in args.task_option]
    for key, value in [*pairs, *((k, v) for k, v in named if v is not None)]:
        if not key or value is None:
            raise ConfigError(f"--task-option takes KEY=VALUE, got {key!r}; e.g. --task-option target=species")
        if key in options:
            raise ConfigError(f"task option {key!r} given twice ({options[key]!r} and {value!r}); give it once")
        options[key] = value
    return options


def loop_template(task: str, args: argparse.Namespace) -> RunTemplate:
    """What every run of this command shares, resolved once from the options and the environment."""
    endpoint = Endpoint.from_env(model=args.model, base_url=args.base_url).tuned({
        "timeout_s": args.llm_timeout, "max_retries": args.llm_retries, "temperature": args.temperature,
        "max_tokens": args.max_tokens, "answer_format": args.answer_format, "context_window": args.context_window,
    })
    for flag, variable in EXECUTOR_FLAGS.items():
        if getattr(args, flag) is not None:
            os.environ[variable] = str(getattr(args, flag))  # the CLI owns its environment; read once below
    template = resolve_template(task, data_dir=args.data, options=given_task_options(args), optimizer=args.optimizer, endpoint=endpoint)
    dry = getattr(args, "dry_run", False) and not getattr(args, "calibrate", False)
    return template if dry else with_server_window(template)  # a dry run contacts no endpoint


def with_server_window(template: RunTemplate) -> RunTemplate:
    """``template`` with the context window the LLM server reports, when none was configured.

    The CLI's owner chose the server: asking it is safe here (the service never asks a tenant's URL).
    """
    endpoint = template.endpoint
    if template.optimizer != "llm" or endpoint.context_window is not None or endpoint.base_url is None:
        return template
    window = read_context_window(endpoint.base_url, endpoint.model, api_key=endpoint.to_config().api_key)
    if window is None:
        return template
    return template.model_copy(update={"endpoint": endpoint.tuned({"context_window": window})})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run one learning loop with given settings",
        description="Run one inner learning loop: iterate, validate, keep the best-by-validation "
        "artifact, and score it once on the held-out test split.",
    )
    parser.add_argument("task", metavar="TASK", help="task name, e.g. mlpipeline:spaceship-titanic (see `autoloop tasks`)")
    parser.add_argument("--artifact", help="starting artifact (default: the task's first)")
    parser.add_argument("--credit-horizon", type=int, help="steps per update (default: the task's first horizon)")
    parser.add_argument("--batch-size", type=int, help="traces per update (default: the task's first batch size)")
    parser.add_argument("--iterations", type=int, default=10, help="optimizer updates (default: 10)")
    parser.add_argument("--val-interval", type=int, default=1, help="validate every N iterations (default: 1)")
    parser.add_argument("--patience", type=int, default=0, help="stop after N validations without gain (0 = never)")
    parser.add_argument("--memory", type=int, default=3, help="past attempts shown to the optimizer (default: 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--max-skips", type=int, default=3, help="end after N skipped updates in a row (0 = never; default: 3)")
    parser.add_argument("--checkpoints", metavar="DIR", help="checkpoint directory; re-running with --run-id resumes")
    parser.add_argument("--run-id", help="checkpoint key (default: a fresh id)")
    add_loop_arguments(parser)
    parser.set_defaults(func=run)


def check_data_flag(task: str, info: TaskInfo, data: str | None) -> None:
    """Refuse ``--data`` for a task that declares it reads none.

    Raises:
        ConfigError: Naming the flag and the fix.
    """
    if data is not None and info.reads_data is False:
        raise ConfigError(f"--data: task {task} reads no data; drop --data")


def _check_arguments(args: argparse.Namespace, info: TaskInfo) -> None:
    """Refuse what the task does not declare, before its data loads or a progress bar starts."""
    check_data_flag(args.task, info, args.data)
    if args.artifact is not None and args.artifact not in info.artifacts:
        raise ConfigError(f"--artifact: {args.task} has no starting artifact of that name; choose one of {', '.join(info.artifacts)}")
    if args.batch_size is not None and args.batch_size not in info.batch_sizes:
        raise ConfigError(
            f"--batch-size {args.batch_size} is not declared by {args.task}; choose one of {', '.join(map(str, info.batch_sizes))}"
        )


def run(args: argparse.Namespace) -> int:
    info = describe_task(args.task)
    _check_arguments(args, info)
    template = loop_template(args.task, args)
    prices = study_prices(args, template)
    settings = {
        "starting_artifact": args.artifact or info.artifacts[0],
        "credit_horizon": info.horizons[0] if args.credit_horizon is None else args.credit_horizon,
        "batch_size": info.batch_sizes[0] if args.batch_size is None else args.batch_size,
        "iterations": args.iterations,
        "val_interval": args.val_interval,
        "patience": args.patience,
        "memory": args.memory,
        "seed": args.seed,
        "max_skips": args.max_skips,
    }
    job = template.job(args.run_id or uuid.uuid4().hex[:12], settings, score_test=True)
    task = template.build_task()
    metric = task.metric
    with progress_bar(job.loop_settings.iterations, args.task, enabled=show_progress(args)) as bar, tempfile.TemporaryDirectory() as scratch:

        def on_progress(p: RunProgress) -> None:
            bar.update(1)
            spent = dollars_text(prices.run_dollars(p.tokens, p.prompt_tokens, p.completion_tokens))
            bar.set_postfix(best_val=f"{metric.display(p.best_val):.4f} {metric.name}", tokens=p.tokens, spent=spent)

        store = FileCheckpointStore(args.checkpoints or scratch)
        try:
            result = run_job(job, task, store=store, callback=on_progress)
        finally:
            task.close()
    # Every score in the metric's own units (RMSE positive), the direction stated once under "metric".
    data = {"task": args.task, "seed": result.seed, **result.to_dict()}
    data["metric"] = metric.to_dict()
    data["best_val"] = metric.display(result.best_val)
    data["test"] = metric.display(result.test) if result.test is not None else None
    data["revalidation"] = metric.display(result.revalidation) if result.revalidation is not None else None
    for per_instance in ("revalidation_scores", "test_scores"):
        data[per_instance] = [metric.display(v) for v in getattr(result, per_instance)]
    data["curve"] = [[i, metric.display(v)] for i, v in result.curve]
    data["test_curve"] = [[i, metric.display(v), metric.display(t)] for i, v, t in result.test_curve]
    data["dollars"] = prices.run_dollars(result.tokens, result.prompt_tokens, result.completion_tokens)
    data["prices"] = prices.to_dict()
    if args.json:
        print_json(data)
        return 0
    print_table(
        ["task", "artifact", "horizon", "batch", "optimizer", f"best val {metric.name}", f"revalidation {metric.name}",
         f"test {metric.name}", "iterations", "failed", "skipped", "tokens", "dollars", "wall s"],
        [[
            args.task, result.settings["starting_artifact"], result.settings["credit_horizon"], result.settings["batch_size"],
            result.optimizer, data["best_val"], data["revalidation"], data["test"], result.iterations,
            f"{result.failures.failed}/{result.failures.evaluations}", result.skipped_updates, result.tokens,
            dollars_text(data["dollars"]), round(result.wall_time_s, 1),
        ]],
    )
    print(f"scores: {metric.direction}")
    print("validation curve: " + ", ".join(f"{i}: {v:.4g}" for i, v in data["curve"]))
    if result.revalidation is not None:
        print(
            f"revalidation: the returned artifact scored once on {result.revalidation_evaluations} instances nothing chose on "
            f"({result.revalidation_tokens} executor tokens, {result.revalidation_seconds:.1f} s)"
        )
    if result.failures.failed:
        print(result.failures.summary())
    for reason in result.skip_reasons:
        print(f"skipped {reason}")
    return 0
