"""``autoloop tasks``: list tasks with their starting artifacts, horizons, batch sizes and metric."""

from __future__ import annotations

import argparse
import dataclasses

from autoloop.cli._output import print_json, print_table
from autoloop.tasks import Metric, task_catalog


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tasks", help="list tasks, their starting artifacts, horizons, batch sizes and metric")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    infos = task_catalog()
    if args.json:
        print_json([{"task": name, **dataclasses.asdict(info)} for name, info in infos.items()])
    else:
        print_table(
            ["task", "artifacts", "horizons", "batch sizes", "metric"],
            [[name, i.artifacts, i.horizons, i.batch_sizes, _metric(i.metric)] for name, i in infos.items()],
        )
    return 0


def _metric(metric: Metric) -> str:
    return metric.name if metric.higher_is_better else f"{metric.name} (lower is better)"
