"""The scheduler loop: any ``SearchStrategy`` against any executor, within the study's budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoloop.controller._strategy import SearchStrategy, StopReason
from autoloop.errors import ConfigError

if TYPE_CHECKING:
    from autoloop.controller._budget import Meter
    from autoloop.controller._runs import RunBook


def search(strategy: SearchStrategy, book: RunBook, meter: Meter, *, parallel: int, iterations: int) -> StopReason:
    """Keep ``parallel`` runs in flight until the budget or the strategy ends the search.

    This is the one place the controller checks the budget: before each proposal it must pay
    for the proposal's runs on top of what the runs in flight may still take (the first
    proposal of a study needs only the iterations: a token or time limit cannot end a search
    before it has anything to recommend). Once a reason to stop is known, the runs in flight are
    stopped and their outcomes (partial curves) still told. Settings the strategy eliminates or
    prunes have their runs in flight stopped.

    Returns:
        Why the search ended.

    Raises:
        ConfigError: The iteration budget cannot pay for the study's first proposal and the reserve.
    """
    reason: StopReason | None = None
    while True:
        reason = reason or (meter.exhausted() if book.groups else None) or strategy.stop_reason()
        if reason is None:
            reason = _start(strategy, book, meter, parallel=parallel, iterations=iterations)
        for settings in strategy.eliminated():
            book.stop(settings)
        if reason is not None:
            book.stop()
        if not book.in_flight:
            return reason or strategy.stop_reason() or StopReason.SEEDS
        outcomes, points = book.pump(meter)
        for point in (p for p in points if strategy.report(p.settings, p.step, p.value)):
            book.prune(point.settings)
        for outcome in outcomes:
            strategy.tell(outcome)


def _start(strategy: SearchStrategy, book: RunBook, meter: Meter, *, parallel: int, iterations: int) -> StopReason | None:
    """Start proposals until ``parallel`` runs are in flight; a reason to stop when none can start and none runs."""
    while book.in_flight < parallel:
        first, needed = not book.groups, book.committed + strategy.cost * iterations
        if first and not meter.affords(needed):
            raise ConfigError(
                f"the iteration budget ({meter.budget.iterations}) cannot pay for the first {strategy.cost} run(s) of "
                f"{iterations} iterations plus the {strategy.reserve()} run(s) set aside for the re-check; raise "
                "--budget-iterations (API: budget.iterations) or lower the plan's seeds, top-k, final seeds or iterations"
            )
        blocked = None if first else meter.blocked(needed)
        if blocked is not None:
            return None if book.in_flight else blocked
        proposal = strategy.ask()
        if proposal is None:
            return None if book.in_flight else strategy.stop_reason() or StopReason.SEEDS
        for outcome in book.start(proposal):
            strategy.tell(outcome)
    return None


def confirm(strategy: SearchStrategy, book: RunBook, meter: Meter) -> None:
    """Run the strategy's confirmation runs (paid from its reserve) to their end."""
    for proposal in strategy.confirm():
        book.start(proposal)
    while book.in_flight:
        book.pump(meter)

