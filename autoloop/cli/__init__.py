"""The ``autoloop`` command line: one module per subcommand, each adding its own parser.

Only the module of the command being run is imported (``autoloop tasks`` must not pay for
Optuna or the executors); ``autoloop --help`` and an unknown command import them all.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from autoloop.cli._output import print_error
from autoloop.errors import AutoloopError, ConfigError

# Command name to the module that defines it; each module's ``add_parser(subparsers)`` adds its
# commands in this order and sets ``func`` on their parsers.
COMMANDS = {
    "run": "autoloop.cli._run",
    "tasks": "autoloop.cli._tasks",
    "tune": "autoloop.cli._tune",
    **dict.fromkeys(("serve", "worker", "token", "submit", "status", "result", "cancel"), "autoloop.cli._service"),
    "defaults": "autoloop.cli._defaults",
    "report": "autoloop.cli._report",
    "optuna-export": "autoloop.cli._optuna",
}


class UsageError(ConfigError):
    """The command line does not parse: ``message`` about the (sub)command ``prog`` with its ``usage``."""

    def __init__(self, prog: str, message: str, usage: str) -> None:
        super().__init__(f"{prog}: {message}")
        self.prog, self.message, self.usage = prog, message, usage


class _Parser(argparse.ArgumentParser):
    """Usage errors raise ``UsageError`` instead of exiting, so ``main`` reports them like any
    other error (as JSON with ``--json``). Subcommand parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message, self.format_usage())


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser: with ``command``'s subcommand module only, or every one (``None``)."""
    parser = _Parser(
        prog="autoloop",
        description="Tune the learning loop of LLM-based generative optimization: "
        "starting artifact, credit horizon and batch size.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [COMMANDS[command]] if command in COMMANDS else dict.fromkeys(COMMANDS.values())
    for module in modules:
        importlib.import_module(module).add_parser(subparsers)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``: its first word that is not an option (the top-level ones take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autoloop`` console script; returns the exit code.

    Errors autoloop raises exit with 2: a line on stderr, or with ``--json`` an
    ``{"error": {"type", "message"}}`` object on stdout.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(_command(argv)).parse_args(argv)
    except UsageError as exc:
        if "--json" in argv:
            print_error(exc, as_json=True)
        else:
            print(f"{exc.usage}{exc.prog}: error: {exc.message}", file=sys.stderr)  # as argparse prints it
        return 2
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except AutoloopError as exc:
        print_error(exc, as_json=getattr(args, "json", False))
        return 2
    except KeyboardInterrupt:
        print("autoloop: interrupted", file=sys.stderr)
        return 130
