"""Service commands: ``serve``, ``worker``, ``token``, and the client side ``submit/status/result/cancel``."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from autoloop.cli._connection import add_connection, service_client
from autoloop.cli._cost import add_price_argument
from autoloop.cli._output import print_json, print_table, show_progress
from autoloop.cli._plan import add_plan_overrides, strategy_of
from autoloop.cli._run import add_task_option_arguments, given_task_options
from autoloop.errors import ConfigError
from autoloop.llm import dollars_text, parse_price


def data_dir(args: argparse.Namespace) -> Path:
    """The service's state folder given by ``--data-dir`` (default: ``data_home()``)."""
    from autoloop.redisdb import data_home

    return Path(args.data_dir).expanduser() if args.data_dir else data_home()


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``: the service's state folder, for commands that read Redis directly."""
    parser.add_argument(
        "--data-dir", metavar="DIR",
        help="service state: embedded Redis socket and files (default $AUTOLOOP_HOME or ~/.local/share/autoloop)",
    )


def _add_client(parser: argparse.ArgumentParser) -> None:
    add_connection(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the HTTP service (with an embedded Redis unless REDIS_URL is set)")
    add_data_dir(p)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument("--optuna-storage", metavar="URL", help="RDB URL for the Optuna studies (default: in Redis)")
    p.set_defaults(func=_serve)

    p = subparsers.add_parser("worker", help="run loop-run workers on the Redis queue")
    add_data_dir(p)
    p.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--job-monitoring-interval", type=int, default=10, help="heartbeat seconds of a busy worker (default 10)")
    p.add_argument("--maintenance-interval", type=int, default=60, help="seconds between abandoned-job clean-ups (default 60)")
    p.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    p.set_defaults(func=_worker)

    p = subparsers.add_parser("token", help="manage API tokens")
    token_sub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_sub.add_parser("create", help="create a token and print it once")
    add_data_dir(create)
    create.add_argument("--name", default="default", help="a label for the token")
    create.add_argument("--owner", help="give this existing owner (tenant) another token, e.g. before revoking its old one")
    create.set_defaults(func=_token_create)
    listing = token_sub.add_parser("list", help="list tokens: id, owner, name, created (never the token itself)")
    add_data_dir(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_token_list)
    revoke = token_sub.add_parser("revoke", help="revoke a token by its id; it stops working at once")
    add_data_dir(revoke)
    revoke.add_argument("token_id", metavar="ID", help="the token's id (see `autoloop token list`)")
    revoke.set_defaults(func=_token_revoke)

    p = subparsers.add_parser("submit", help="submit a tuning study to the service")
    p.add_argument("task", metavar="TASK", help="task name (see `autoloop tasks`)")
    p.add_argument("--space", help="search space, e.g. 'batch_size=1,3;credit_horizon=1'")
    p.add_argument("--preset", help="study plan preset: quick, standard or thorough (default: the service's, as `autoloop tune`)")
    p.add_argument("--budget-iterations", type=int, help="loop iterations over all runs (default: the preset's unless --budget-tokens)")
    p.add_argument("--budget-tokens", type=int, help="LLM tokens over all runs")
    p.add_argument("--budget-dollars", type=float, metavar="USD", help="LLM spend over all runs (every model needs a price)")
    add_price_argument(p)
    plan = add_plan_overrides(p, shown_by="`autoloop status STUDY --json`", strategies="see the service's /openapi.json")
    plan.add_argument("--pruner", help="Optuna pruner (see the service's /openapi.json)")
    plan.add_argument("--confidence", type=float, help="fixed confidence, e.g. 0.95 (default: fixed budget)")
    p.add_argument("--parallel", type=int, default=4, help="loop runs in flight (default 4)")
    p.add_argument("--optimizer", help="'llm' or 'local' (default: llm when an endpoint is set)")
    p.add_argument("--model", help="LLM model")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint")
    p.add_argument(
        "--data", metavar="PATH",
        help="task data: an absolute path in a folder the service shares, or the name of a dataset you uploaded (`autoloop upload`)",
    )
    add_task_option_arguments(p)
    p.add_argument(
        "--warm-start", action="store_true", help="start from your finished studies of this task or its family (best-arm strategies)"
    )
    p.add_argument("--wait", action="store_true", help="wait with a progress bar and print the recommendation")
    _add_client(p)
    p.set_defaults(func=_submit)

    p = subparsers.add_parser("upload", help="upload a data file (e.g. a CSV) into your own data folder on the service")
    p.add_argument("file", metavar="FILE", help="the file to upload")
    p.add_argument("--name", help="its name on the service (default: the file's name); pass it to submit --data")
    _add_client(p)
    p.set_defaults(func=_upload)

    for name, help_text, func in (
        ("status", "show a study's state and progress", _status),
        ("result", "print a finished study's recommendation", _result),
        ("cancel", "cancel a study", _cancel),
    ):
        p = subparsers.add_parser(name, help=help_text)
        p.add_argument("study", metavar="STUDY", nargs="?" if name == "status" else None, help="study id")
        _add_client(p)
        p.set_defaults(func=func)
    status_parser = subparsers.choices["status"]
    status_parser.add_argument("--watch", action="store_true", help="redraw the study's per-setting progress until it ends")
    status_parser.add_argument("--interval", type=float, default=1.0, help="seconds between redraws with --watch (default 1)")


def _serve(args: argparse.Namespace) -> int:
    from autoloop.service._server import ServeOptions, serve

    _say_ready()
    return serve(ServeOptions(data_dir(args), host=args.host, port=args.port, optuna_storage=args.optuna_storage))


def _worker(args: argparse.Namespace) -> int:
    from autoloop.redisdb import redis_url
    from autoloop.service import WorkerOptions, load_plugins, run_workers

    load_plugins()
    _say_ready()
    options = WorkerOptions(
        redis_url(data_dir(args)), processes=args.processes, job_monitoring_interval=args.job_monitoring_interval,
        maintenance_interval=args.maintenance_interval, burst=args.burst,
    )
    return run_workers(options)


def _say_ready() -> None:
    """``serve`` and ``worker`` say where they listen and when they are ready (their INFO lines), whatever ``--verbose``."""
    logging.getLogger("autoloop.service").setLevel(min(logging.getLogger().level, logging.INFO))


def _token_create(args: argparse.Namespace) -> int:
    from autoloop.redisdb import connect
    from autoloop.service import create_token

    print(create_token(connect(data_dir=data_dir(args)), args.name, owner=args.owner))
    return 0


def _token_list(args: argparse.Namespace) -> int:
    import time

    from autoloop.redisdb import connect
    from autoloop.service import list_tokens

    tokens = list_tokens(connect(data_dir=data_dir(args)))
    if args.json:
        print_json([info.to_dict() for info in tokens])
        return 0
    rows = [[t.id, t.owner, t.name, time.strftime("%Y-%m-%d %H:%M", time.localtime(t.created_at))] for t in tokens]
    print_table(["id", "owner", "name", "created"], rows)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from autoloop.redisdb import connect
    from autoloop.service import revoke_token

    info = revoke_token(connect(data_dir=data_dir(args)), args.token_id)
    print(f"revoked token {info.id} ({info.name}, owner {info.owner})")
    return 0


def _submit(args: argparse.Namespace) -> int:
    with service_client(args) as client:
        study = client.submit(
            args.task, preset=args.preset, space=args.space, budget_iterations=args.budget_iterations, budget_tokens=args.budget_tokens,
            budget_dollars=args.budget_dollars, prices={m: (p.prompt, p.completion) for m, p in map(parse_price, args.price)},
            iterations=args.iterations, seeds=args.seeds, top_k=args.top_k, final_seeds=args.final_seeds,
            val_interval=args.val_interval, patience=args.patience, memory=args.memory, strategy=strategy_of(args),
            pruner=args.pruner, confidence=args.confidence, parallel=args.parallel, optimizer=args.optimizer, llm_model=args.model,
            llm_base_url=args.base_url,
            llm_api_key=os.environ.get("AUTOLOOP_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY"), data_dir=args.data,
            task_options=given_task_options(args), warm_start=args.warm_start,
        )
        if not args.wait:
            print_json({"id": study.id}) if args.json else print(study.id)
            return 0
        status = study.wait(progress=show_progress(args))  # a failed study raises with its reason
        if status["state"] != "finished":
            print_json(status) if args.json else print(f"study {study.id} {status['state']}")
            return 1
        return _show_recommendation(study.recommendation(), args.json)


def _upload(args: argparse.Namespace) -> int:
    with service_client(args) as client:
        name = client.upload(args.file, args.name)
    print_json({"data": name}) if args.json else print(name)
    return 0


def _status(args: argparse.Namespace) -> int:
    if args.watch:
        from autoloop.cli._watch import watch

        if not args.study:
            raise ConfigError("--watch follows one study: pass its id, e.g. `autoloop status STUDY --watch`")
        with service_client(args) as client:
            status = watch(client.study(args.study), poll_s=args.interval)
        return 0 if status["state"] == "finished" else 1
    with service_client(args) as client:
        statuses = [client.study(args.study).status()] if args.study else client.studies()
    if args.json:
        print_json(statuses if not args.study else statuses[0])
        return 0
    rows = []
    for s in statuses:
        p = s["progress"]
        runs = f"{p['runs_done']}/{p['runs_running']}/{p['runs_queued']}/{p['runs_failed']}"
        spent = f"{p['iterations']}/{p['iteration_budget']}"
        evaluations = f"{p['failures']['failed']}/{p['failures']['evaluations']}"
        rows.append([
            s["id"], s["task"], s["state"], p["stage"], runs, spent, p["tokens"], dollars_text(p.get("dollars")), p["best"],
            p.get("revalidation"), p["metric"], evaluations,
        ])
    headers = [
        "study", "task", "state", "stage", "runs done/running/queued/failed", "iterations", "tokens", "dollars", "best val", "best re-val",
        "metric", "evals failed",
    ]
    print_table(headers, rows)
    for s in statuses:
        if s["state"] == "failed":
            print(f"study {s['id']} failed: {s['error']}")
        if s["progress"]["failures"]["summary"]:
            print(f"study {s['id']}: {s['progress']['failures']['summary']}")
    return 0


def _result(args: argparse.Namespace) -> int:
    with service_client(args) as client:
        return _show_recommendation(client.study(args.study).recommendation(), args.json)


def _show_recommendation(recommendation: dict, as_json: bool) -> int:
    if as_json:
        print_json(recommendation)
        return 0
    print_table(["setting", "value"], sorted(recommendation["settings"].items()))
    metric = recommendation["metric"]
    print(f"scores: {metric['direction']}")
    for split in ("validation", "test"):
        shown = recommendation[split]
        ci = shown["note"] if shown["ci95"] is None else "95% CI {:.4f}..{:.4f}".format(*shown["ci95"])
        print(f"{split} {metric['name']}: {shown['mean']:.4f} ({ci}, n={shown['n']})")
    if recommendation.get("verdict"):
        print(f"verdict: {recommendation['verdict']['text']}")
    for warning in recommendation.get("warnings", []):
        print(f"warning: {warning}")
    if recommendation["failures"]["summary"]:
        print(f"failures: {recommendation['failures']['summary']}")
    if recommendation.get("warm_start"):
        print(f"warm start: {recommendation['warm_start']['text']}")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    with service_client(args) as client:
        status = client.study(args.study).cancel()
    print_json(status) if args.json else print(f"study {status['id']}: {status['state']}")
    return 0
