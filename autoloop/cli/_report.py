"""``autoloop report``: the HTML report of a study, from its result JSON or from the service."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autoloop.cli._connection import add_connection, service_client
from autoloop.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a study's HTML report (plots, verdict, costs, best artifact)",
        description="Write one self-contained HTML page (opens without a network) from the JSON of "
        "`autoloop tune --json` (a suite's too: its robust default and leave-one-task-out regrets), or `autoloop defaults --json`, "
        "or from a finished study of the service (by its id).",
    )
    p.add_argument("source", metavar="STUDY_ID_OR_RESULT.json", help="a result JSON file, or a study id on the service")
    p.add_argument("-o", "--output", default="report.html", help="HTML file to write (default report.html)")
    add_connection(p)  # for a study id
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if source.is_file():
        from autoloop.report import render_report

        try:
            recommendation = json.loads(source.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source} is not JSON ({exc}); pass the output of `autoloop tune --json`") from exc
        page = render_report(recommendation)
    elif source.suffix == ".json":
        raise ConfigError(f"no file {source}; pass the output of `autoloop tune --json` or a study id")
    else:
        with service_client(args) as client:
            page = client.study(args.source).report()
    output = Path(args.output)
    output.write_text(page)
    print(f"report written to {output.resolve()}")
    return 0
