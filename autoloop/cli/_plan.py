"""The study-plan flags ``tune`` and ``submit`` share: overrides on top of a preset."""

from __future__ import annotations

import argparse
import sys


def add_plan_overrides(parser: argparse.ArgumentParser, *, shown_by: str, strategies: str) -> argparse._ArgumentGroup:
    """Add the plan overrides (``None`` = the preset's value); returns their group for the command's own.

    Args:
        strategies: Where the help says the strategy names are listed.
    """
    plan = parser.add_argument_group(f"plan overrides (default: the preset's; {shown_by} shows the resolved plan)")
    plan.add_argument("--iterations", type=int, help="iterations per loop run")
    plan.add_argument("--seeds", type=int, help="loop runs per trial (Optuna samplers); best-arm strategies give seeds as the search goes")
    plan.add_argument("--top-k", type=int, help="Optuna samplers only: settings re-run with fresh seeds on test (best-arm rules re-run none)")
    plan.add_argument("--final-seeds", type=int, help="Optuna samplers only: fresh seeds per re-run setting")
    plan.add_argument("--val-interval", type=int, help="validate every N iterations")
    plan.add_argument("--patience", type=int, help="stop a run after N validations without gain (0 = never)")
    plan.add_argument("--memory", type=int, help="past attempts shown to the optimizer")
    plan.add_argument("--strategy", help=f"search strategy ({strategies})")
    plan.add_argument("--sampler", help="deprecated: the old name of --strategy (accepted for one release)")
    return plan


def strategy_of(args: argparse.Namespace) -> str | None:
    """``--strategy``, or the deprecated ``--sampler`` with a note on stderr."""
    if args.sampler is not None:
        print("note: --sampler is deprecated and goes away in the next release; use --strategy", file=sys.stderr)
    return args.strategy if args.strategy is not None else args.sampler
