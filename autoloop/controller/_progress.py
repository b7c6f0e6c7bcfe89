"""SettingProgress: where each setting of a running study stands (runs, mean validation, share of the runs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from autoloop.controller._trials import TrialRuns


@dataclass(frozen=True)
class SettingProgress:
    """One setting's progress, search and final-stage runs together.

    Args:
        settings: Its knob values (no seed).
        runs: Runs started for it.
        runs_done: Runs that ended.
        mean_val: Mean score (``Outcome.value``) of its runs that ran to their end (internal: higher is better).
        allocation: Its share of every run started in the study so far.
    """

    settings: dict[str, Any]
    runs: int
    runs_done: int
    mean_val: float | None
    allocation: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def setting_progress(groups: Iterable[TrialRuns]) -> list[SettingProgress]:
    """Progress per setting of ``groups`` (groups of the same settings are merged), most runs first."""
    merged: dict[tuple, list[TrialRuns]] = {}
    for group in groups:
        merged.setdefault(tuple(sorted(group.settings.items())), []).append(group)
    total = sum(len(g.run_ids) for same in merged.values() for g in same)
    out = []
    for same in merged.values():
        values = [v for g in same for v in g.seed_values().values()]
        runs = sum(len(g.run_ids) for g in same)
        out.append(SettingProgress(
            dict(same[0].settings), runs, sum(len(g.records) for g in same),
            sum(values) / len(values) if values else None, runs / total if total else 0.0,  # type: ignore[arg-type]
        ))
    return sorted(out, key=lambda p: -p.runs)
