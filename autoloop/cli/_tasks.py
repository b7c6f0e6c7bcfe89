"""``autoloop tasks``: list tasks with their starting artifacts, horizons and batch sizes."""

from __future__ import annotations

import argparse

from autoloop.cli._output import print_json, print_table
from autoloop.tasks import task_families


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tasks", help="list tasks, their starting artifacts, horizons and batch sizes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = []
    for family in task_families().values():
        for variant in family.variants:
            info = family.describe(variant)
            rows.append({"task": f"{family.name}:{variant}", **vars(info)})
    if args.json:
        print_json(rows)
    else:
        print_table(
            ["task", "artifacts", "horizons", "batch sizes", "metric"],
            [[r["task"], r["artifacts"], r["horizons"], r["batch_sizes"], r["metric"]] for r in rows],
        )
    return 0
