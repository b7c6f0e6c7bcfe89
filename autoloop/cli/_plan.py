"""The study-plan flags ``tune`` and ``submit`` share: overrides on top of a preset."""

from __future__ import annotations

import argparse


def add_plan_overrides(parser: argparse.ArgumentParser, *, shown_by: str) -> argparse._ArgumentGroup:
    """Add the plan overrides (``None`` = the preset's value); returns their group for the command's own."""
    plan = parser.add_argument_group(f"plan overrides (default: the preset's; {shown_by} shows the resolved plan)")
    plan.add_argument("--iterations", type=int, help="iterations per loop run")
    plan.add_argument("--seeds", type=int, help="loop runs per trial (Optuna samplers); best-arm strategies give seeds as the search goes")
    plan.add_argument("--top-k", type=int, help="Optuna samplers only: settings re-run with fresh seeds on test (best-arm rules re-run none)")
    plan.add_argument("--final-seeds", type=int, help="Optuna samplers only: fresh seeds per re-run setting")
    plan.add_argument("--val-interval", type=int, help="validate every N iterations")
    plan.add_argument("--patience", type=int, help="stop a run after N validations without gain (0 = never)")
    plan.add_argument("--memory", type=int, help="past attempts shown to the optimizer")
    return plan
