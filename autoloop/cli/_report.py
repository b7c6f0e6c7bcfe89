"""``autoloop report``: the HTML report of a study, from its result JSON or from the service."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autoloop.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a study's HTML report (plots, verdict, costs, best artifact)",
        description="Write one self-contained HTML page (opens without a network) from the JSON of "
        "`autoloop tune --json`, or from a finished study of the service (by its id).",
    )
    p.add_argument("source", metavar="STUDY_ID_OR_RESULT.json", help="a result JSON file, or a study id on the service")
    p.add_argument("-o", "--output", default="report.html", help="HTML file to write (default report.html)")
    p.add_argument("--url", help="service URL, for a study id (default $AUTOLOOP_URL or http://127.0.0.1:8000)")
    p.add_argument("--token", help="API token, for a study id (default $AUTOLOOP_TOKEN)")
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
        from autoloop.client import Client

        with Client(args.url, args.token) as client:
            page = client.study(args.source).report()
    output = Path(args.output)
    output.write_text(page)
    print(f"report written to {output.resolve()}")
    return 0
