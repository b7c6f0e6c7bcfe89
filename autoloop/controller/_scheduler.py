"""The scheduler loop: any ``SearchStrategy`` against any executor, within the study's budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoloop.controller._strategy import SearchStrategy, StopReason

if TYPE_CHECKING:
    from autoloop.controller._budget import Meter
    from autoloop.controller._runs import RunBook


def search(strategy: SearchStrategy, book: RunBook, meter: Meter, *, parallel: int, iterations: int) -> StopReason:
    """Keep ``parallel`` runs in flight until the budget or the strategy ends the search.

    Before each proposal the budget must pay for its runs on top of what the runs in flight
    may still take; once a reason to stop is known, the runs in flight are stopped and their
    outcomes (partial curves) still told. Settings the strategy eliminates or prunes have their
    runs in flight stopped.

    Returns:
        Why the search ended.
    """
    reason: StopReason | None = None
    while True:
        reason = reason or _exhausted(meter) or strategy.stop_reason()
        while reason is None and book.in_flight < parallel:
            if not meter.can_start(book.committed + strategy.cost * iterations):
                reason = None if book.in_flight else _exhausted(meter) or StopReason.ITERATIONS
                break
            proposal = strategy.ask()
            if proposal is None:
                reason = None if book.in_flight else strategy.stop_reason() or StopReason.SEEDS
                break
            for outcome in book.start(proposal):
                strategy.tell(outcome)
        for settings in strategy.eliminated():
            book.stop(settings)
        if reason is not None:
            book.stop()
        if not book.in_flight:
            return reason or strategy.stop_reason() or StopReason.SEEDS
        outcomes, points = book.pump(meter)
        for point in points:
            if strategy.report(point.settings, point.step, point.value):
                book.stop(point.settings)
        for outcome in outcomes:
            strategy.tell(outcome)


def confirm(strategy: SearchStrategy, book: RunBook, meter: Meter) -> None:
    """Run the strategy's confirmation runs (paid from its reserve) to their end."""
    for proposal in strategy.confirm():
        book.start(proposal)
    while book.in_flight:
        book.pump(meter)


def _exhausted(meter: Meter) -> StopReason | None:
    reason = meter.exhausted()
    return None if reason is None else StopReason(reason)
