"""SettingProgress: where each setting of a running study stands (runs, mean validation, share of the runs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from autoloop.controller._trials import TrialRuns
from autoloop.tasks import Metric


class SettingProgress(BaseModel, frozen=True):
    """Where one setting of a running study stands, search and final-stage runs together: what the
    controller reports (``StudyStatus.settings``) and the service shows (``StudyProgress.settings``)."""

    settings: dict[str, Any] = Field(description="its knob values (no seed)")
    runs: int = Field(description="runs started for it")
    runs_done: int = Field(description="runs that ended")
    mean_val: float | None = Field(
        description="mean score of its runs that ran to their end (re-validation when a run has one, else best validation; internal: "
        "higher is better)"
    )
    allocation: float = Field(description="its share of every run started so far")
    mean: float | None = Field(default=None, description="mean_val in the metric's own units (where the metric is known)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return self.model_dump()

    def in_units(self, metric: Metric | None) -> SettingProgress:
        """The same, with ``mean`` in ``metric``'s units (unchanged without a metric)."""
        if metric is None or self.mean_val is None:
            return self
        return self.model_copy(update={"mean": metric.display(self.mean_val)})


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
            settings=dict(same[0].settings), runs=runs, runs_done=sum(len(g.records) for g in same),
            mean_val=sum(values) / len(values) if values else None, allocation=runs / total if total else 0.0,
        ))
    return sorted(out, key=lambda p: -p.runs)
