"""``autoloop status STUDY --watch``: a study's per-setting progress, redrawn in the terminal until it ends."""

from __future__ import annotations

import contextlib
import io
import sys
import time
from typing import Any

from autoloop.cli._output import print_table
from autoloop.client import TERMINAL_STATES, Study
from autoloop.llm import dollars_text

# ANSI: cursor home, clear the screen (a terminal redraws in place; a pipe gets one frame per poll).
_REDRAW = "\x1b[H\x1b[J"


def frame(status: dict[str, Any]) -> str:
    """One screen of a study's status: the totals, then one row per setting."""
    p = status["progress"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        best = "-" if p["best"] is None else f"{p['best']:.4f}"
        print(f"study {status['id']} ({status['task']}): {status['state']}, stage {p['stage'] or '-'}")
        print(f"iterations {p['iterations']}/{p['iteration_budget']}, tokens {p['tokens']}, spent {dollars_text(p.get('dollars'))}, "
              f"runs {p['runs_done']} done, {p['runs_running']} running, {p['runs_queued']} queued, {p['runs_failed']} failed; "
              f"best {best} {p['metric'] or ''}\n")
        rows = [
            [", ".join(f"{k}={v}" for k, v in s["settings"].items()), f"{s['runs_done']}/{s['runs']}", s["mean"],
             f"{s['allocation']:.0%}", "#" * round(20 * s["allocation"])]
            for s in p.get("settings", [])
        ]
        print_table(["setting", "runs done/started", f"mean val {p['metric'] or ''}".rstrip(), "allocation", ""], rows)
    return out.getvalue()


def watch(study: Study, *, poll_s: float = 1.0) -> dict[str, Any]:
    """Redraw ``study``'s progress every ``poll_s`` seconds until it ends; returns its last status."""
    redraw = _REDRAW if sys.stdout.isatty() else ""
    while True:
        status = study.status()
        sys.stdout.write(redraw + frame(status) + ("" if redraw else "\n"))
        sys.stdout.flush()
        if status["state"] in TERMINAL_STATES:
            return status
        time.sleep(poll_s)  # the refresh rate of the display
