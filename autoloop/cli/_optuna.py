"""``autoloop optuna-export``: copy a service study's Optuna study to a journal file for Optuna's own tools."""

from __future__ import annotations

import argparse
from pathlib import Path

from autoloop.cli._service import add_data_dir, data_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "optuna-export",
        help="copy a study's Optuna study to a journal file (open it with `optuna-dashboard FILE`)",
        description="Copy the Optuna study of a service study (one trial per setting; user attributes seed_values, "
        "runs and record:<run id>) from the service's storage to a journal file that `optuna-dashboard FILE` and "
        "`optuna.load_study(storage=JournalStorage(JournalFileBackend(FILE)))` open. Reads Redis directly, like `autoloop token`.",
    )
    p.add_argument("study", metavar="STUDY", help="study id")
    p.add_argument("-o", "--output", default=None, help="journal file to write (default STUDY.journal)")
    add_data_dir(p)
    p.add_argument("--optuna-storage", metavar="URL", help="the RDB URL the service was started with, if any")
    p.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    from autoloop.redisdb import redis_url
    from autoloop.service import export_study

    output = Path(args.output or f"{args.study}.journal")
    trials = export_study(args.study, output, redis_url=redis_url(data_dir(args)), rdb_url=args.optuna_storage)
    print(f"{trials} trials of study {args.study} written to {output.resolve()}; open them with: optuna-dashboard {output}")
    return 0
