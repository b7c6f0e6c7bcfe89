"""``autoloop defaults``: the robust default of a task family or task list, checked task by task."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autoloop.cli._connection import add_connection, service_client
from autoloop.cli._output import print_json, print_table
from autoloop.controller import AGGREGATES, DEFAULT_TOLERANCE
from autoloop.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "defaults",
        help="the setting that does best over several tasks, and whether it holds on each task left out",
        description="Pick the loop setting with the lowest mean normalized regret (or mean rank) over the tasks' "
        "finished studies, then leave each task out in turn: the default chosen without it, and its regret on "
        "it against the task's own pick. Reads result JSON files of `autoloop tune --json` (suites too), or, "
        "without files, your finished studies on the service.",
    )
    p.add_argument("files", metavar="RESULT.json", nargs="*", type=Path, help="results of `autoloop tune --json` (default: ask the service)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--family", help="only tasks of this family, e.g. atari")
    scope.add_argument("--tasks", metavar="TASK,TASK", help="only these tasks")
    p.add_argument("--aggregate", choices=AGGREGATES, default=AGGREGATES[0], help="pick by mean normalized regret or mean rank")
    p.add_argument(
        "--tolerance", type=float, default=DEFAULT_TOLERANCE,
        help=f"normalized regret beyond which a task left out counts as one the default does not transfer to (default {DEFAULT_TOLERANCE})",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    add_connection(p)
    p.set_defaults(func=_defaults)


def _defaults(args: argparse.Namespace) -> int:
    tasks = args.tasks.split(",") if args.tasks else None
    if args.files:
        from autoloop.controller import robust_defaults

        result = robust_defaults(recommendations(args.files), tasks=tasks, family=args.family, aggregate=args.aggregate, tolerance=args.tolerance)
    else:
        with service_client(args) as client:
            result = client.defaults(tasks=tasks, family=args.family, aggregate=args.aggregate, tolerance=args.tolerance)
    if args.json:
        print_json(result)
    else:
        show(result)
    return 0


def recommendations(files: list[Path]) -> Iterator[dict[str, Any]]:
    """Each file's recommendation; a suite's file gives one per task."""
    for path in files:
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read {path} ({exc}); pass the output of `autoloop tune --json`") from exc
        if "per_task" in data:
            yield from (t["recommendation"] for t in data["per_task"])
        elif "task" in data and "runs" in data:
            yield data
        else:
            raise ConfigError(f"{path} is not the output of `autoloop tune --json` (no task and runs)")


def show(result: dict[str, Any]) -> None:
    """The default, its standing over tasks, and the leave-one-task-out table."""
    agg, ev = result["aggregate"], result["evidence"]
    compared = [s["settings"] for s in agg["settings"]]
    varying = [k for k in result["pick"] if len({json.dumps(s.get(k)) for s in compared}) > 1] or list(result["pick"])

    def _named(settings: dict[str, Any]) -> str:
        return ",".join(f"{k}={settings[k]}" for k in varying)

    print(f"robust default ({agg['method']}): {_named(result['pick'])}")
    print(
        f"over {len(result['tasks'])} tasks, {ev['studies']} studies, {ev['runs']} runs: mean normalized regret "
        f"{agg['mean_regret']:.3f}, mean rank {agg['mean_rank']:.2f}, worst {agg['worst_regret']:.3f} ({agg['worst_task']})"
    )
    for task, knobs in ev["positions"].items():
        print(f"  {task}: " + "; ".join(f"{k} #1.. = {', '.join(map(str, v))}" for k, v in knobs.items()))
    rows = [
        [
            e["task"], _named(e["default"]), _named(e["own_pick"]), f"{e['regret']:.3f}",
            f"{e['gap']:.4g}" + ("" if e["noise"] is None else f" (noise {e['noise']:.2g})"), "yes" if e["transfers"] else "NO",
        ]
        for e in result["leave_one_task_out"]
    ]
    print_table(["task left out", "default chosen without it", "its own pick", "regret (normalized)", "gap (noise: 2 SE)", "transfers"], rows)
    print(f"leave-one-task-out regret: mean {result['loto_mean_regret']:.3f}, worst {result['loto_worst_regret']:.3f}")
    off = result["does_not_transfer"]
    if off:
        print("does not transfer to: " + ", ".join(f"{d['task']} (regret {d['regret']:.2f})" for d in off))

