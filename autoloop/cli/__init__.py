"""The ``autoloop`` command line: one module per subcommand, each adding its own parser."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from autoloop.errors import AutoloopError

# Subcommand modules; each defines ``add_parser(subparsers)`` and sets ``func`` on its parser.
SUBCOMMANDS = (
    "autoloop.cli._run", "autoloop.cli._tasks", "autoloop.cli._tune", "autoloop.cli._service", "autoloop.cli._report", "autoloop.cli._optuna",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="autoloop",
        description="Tune the learning loop of LLM-based generative optimization: "
        "starting artifact, credit horizon and batch size.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autoloop`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except AutoloopError as exc:
        print(f"autoloop: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autoloop: interrupted", file=sys.stderr)
        return 130
