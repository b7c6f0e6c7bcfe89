"""Shared CLI output: progress bars on stderr, compact tables and JSON on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autoloop.errors import AutoloopError

if TYPE_CHECKING:
    from tqdm import tqdm


def show_progress(args: argparse.Namespace) -> bool:
    """Whether a command shows progress: always for people; with ``--json`` only on a terminal,
    so a program reading the JSON gets no bar interleaved in its captured stderr."""
    return not getattr(args, "json", False) or sys.stderr.isatty()


def progress_bar(total: int, description: str, *, enabled: bool = True) -> tqdm:
    """A progress bar on stderr, so stdout stays clean for tables and JSON (hidden when ``enabled`` is False)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, file=sys.stderr, disable=not enabled, dynamic_ncols=True, leave=False)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_error(exc: AutoloopError, *, as_json: bool) -> None:
    """An error for people (a line on stderr) or, with ``as_json``, for programs (JSON on stdout)."""
    if as_json:
        print_json({"error": {"type": type(exc).__name__, "message": str(exc)}})
    else:
        print(f"autoloop: error: {exc}", file=sys.stderr)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A compact left-aligned table on stdout."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list | tuple):
        return ",".join(_fmt(v) for v in value)
    return "-" if value is None else str(value)
