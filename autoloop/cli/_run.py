"""``autoloop run``: one loop run with explicit settings, a progress bar and a final table."""

from __future__ import annotations

import argparse
import tempfile
import uuid

from autoloop.checkpoints import FileCheckpointStore
from autoloop.cli._output import print_json, print_table, progress_bar
from autoloop.executors import RunTemplate, resolve_template, run_job
from autoloop.llm import Endpoint
from autoloop.loop import Progress


def add_loop_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs loops: data, optimizer and LLM endpoint."""
    parser.add_argument("--data", metavar="DIR", help="task data directory (or AUTOLOOP_DATA)")
    parser.add_argument(
        "--optimizer",
        help="optimizer name: 'llm' (OpenAI-compatible endpoint) or 'local' (offline); "
        "default: llm when OPENAI_BASE_URL/OPENAI_API_KEY is set, else local",
    )
    parser.add_argument("--model", help="LLM model for the llm optimizer (or AUTOLOOP_LLM_MODEL)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (or OPENAI_BASE_URL)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def loop_template(task: str, args: argparse.Namespace) -> RunTemplate:
    """What every run of this command shares, resolved once from the options and the environment."""
    endpoint = Endpoint.from_env(model=args.model, base_url=args.base_url)
    return resolve_template(task, data_dir=args.data, optimizer=args.optimizer, endpoint=endpoint)


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
    parser.add_argument("--checkpoints", metavar="DIR", help="checkpoint directory; re-running with --run-id resumes")
    parser.add_argument("--run-id", help="checkpoint key (default: a fresh id)")
    add_loop_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    template = loop_template(args.task, args)
    task = template.build_task()
    settings = {
        "starting_artifact": args.artifact or task.artifacts[0],
        "credit_horizon": task.horizons[0] if args.credit_horizon is None else args.credit_horizon,
        "batch_size": task.batch_sizes[0] if args.batch_size is None else args.batch_size,
        "iterations": args.iterations,
        "val_interval": args.val_interval,
        "patience": args.patience,
        "memory": args.memory,
        "seed": args.seed,
    }
    job = template.job(args.run_id or uuid.uuid4().hex[:12], settings, score_test=True)
    metric = task.metric
    with progress_bar(job.loop_settings.iterations, args.task) as bar, tempfile.TemporaryDirectory() as scratch:

        def on_progress(p: Progress) -> None:
            bar.update(1)
            bar.set_postfix(best_val=f"{metric.display(p.best_val):.4f}", tokens=p.tokens)

        store = FileCheckpointStore(args.checkpoints or scratch)
        try:
            result = run_job(job, task, store=store, callback=on_progress)
        finally:
            task.close()
    # Reported in the metric's own units (RMSE positive); internal scores are higher-is-better.
    data = {"task": args.task, **result.to_dict()}
    data["metric"] = {"name": metric.name, "higher_is_better": metric.higher_is_better}
    data["best_val"] = metric.display(result.best_val)
    data["test"] = metric.display(result.test) if result.test is not None else None
    data["curve"] = [[i, metric.display(v)] for i, v in result.curve]
    if args.json:
        print_json(data)
        return 0
    print_table(
        ["task", "artifact", "horizon", "batch", "optimizer", f"best val {metric.name}", f"test {metric.name}", "iterations", "tokens", "wall s"],
        [[
            args.task, result.settings["starting_artifact"], result.settings["credit_horizon"], result.settings["batch_size"],
            result.optimizer, data["best_val"], data["test"], result.iterations, result.tokens,
            round(result.wall_time_s, 1),
        ]],
    )
    return 0
