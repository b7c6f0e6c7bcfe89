"""A plug-in search strategy in a few lines: every setting once on seed 0, in the grid's order."""

from __future__ import annotations

from autoloop.controller import Outcome, Proposal, SearchStrategy, StopReason, StrategyContext


class Sweep(SearchStrategy):
    """Every setting of the space once, on seed 0, in the grid's order."""

    def __init__(self, context: StrategyContext) -> None:
        self.grid, self.size, self.told = context.space.grid(), context.space.size, set()

    def ask(self) -> Proposal | None:
        return Proposal(self.grid.pop(0), (0,)) if self.grid else None

    def tell(self, outcome: Outcome) -> None:
        self.told.add(tuple(sorted(outcome.settings.items())))

    def stop_reason(self) -> StopReason | None:
        return StopReason.SPACE if len(self.told) == self.size else None
