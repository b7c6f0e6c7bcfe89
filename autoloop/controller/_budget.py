"""Budget: loop iterations, LLM tokens, wall time and dollars; whichever is spent first ends the search."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autoloop.controller._strategy import StopReason
from autoloop.errors import ConfigError

if TYPE_CHECKING:
    from autoloop.controller._cost import StudyPrices
    from autoloop.controller._record import RunRecord
    from autoloop.loop import RunProgress


@dataclass(frozen=True)
class Budget:
    """Limits of one study; ``None`` = no limit on that resource.

    Iterations are optimizer updates (about one LLM call each) summed over every loop run
    of the study, the final re-check included: the controller sets aside what the final
    stage will cost and searches with the rest. Tokens and seconds end the search when
    reached; the final stage then still runs, and its spend is reported.

    Args:
        iterations: Loop iterations over all runs.
        tokens: LLM tokens over all runs.
        seconds: Wall time of the search.
        dollars: US dollars of LLM tokens over all runs: a run starts only when it and the runs in
            flight, at the cost per iteration seen so far, fit what is left (see ``Meter.blocked``).
    """

    iterations: int | None = None
    tokens: int | None = None
    seconds: float | None = None
    dollars: float | None = None

    def __post_init__(self) -> None:
        for name in ("iterations", "tokens", "seconds", "dollars"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"budget {name} must be positive, got {value!r}")
        if self.iterations is None and self.tokens is None and self.seconds is None and self.dollars is None:
            raise ConfigError("a study needs a budget: pass --budget-iterations, --budget-tokens, --budget-seconds or --budget-dollars")


@dataclass
class Meter:
    """What a study has spent so far.

    Runs report running totals, so spend is kept per run (the latest iteration and token
    count each run reported): an event seen twice, e.g. after a restart, is not charged twice.

    Args:
        budget: The study's limits.
        reserved_iterations: Set aside for the final stage.
        started: Wall-clock time (``time.time()``) the study started; survives restarts.
        prices: What the runs' tokens cost (``None`` = dollars not counted; a dollar budget needs them).
    """

    budget: Budget
    reserved_iterations: int = 0
    started: float = field(default_factory=time.time)
    prices: StudyPrices | None = None
    _iterations: dict[str, int] = field(default_factory=dict)
    _tokens: dict[str, int] = field(default_factory=dict)
    _dollars: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.budget.dollars is not None and (self.prices is None or not self.prices.known):
            raise ConfigError("a dollar budget needs every model's price: give it with --price MODEL=IN,OUT")

    @property
    def iterations(self) -> int:
        """Iterations over all runs."""
        return sum(self._iterations.values())

    @property
    def tokens(self) -> int:
        """Tokens over all runs."""
        return sum(self._tokens.values())

    @property
    def seconds(self) -> float:
        """Wall time since the study started."""
        return time.time() - self.started

    def charge_record(self, record: RunRecord) -> None:
        """A finished run, charged with everything it spent."""
        dollars = self.prices.record_dollars(record) if self.prices is not None else None
        o = record.outcome
        self._charge(record.run_id, 0 if o is None else o.iterations, 0 if o is None else o.tokens, dollars)

    @property
    def dollars(self) -> float | None:
        """Dollars over all runs (``None`` when a model of the study has no price)."""
        if self.prices is None or not self.prices.known:
            return None
        return sum(self._dollars.values())

    def charge(self, run_id: str, progress: RunProgress) -> None:
        """``run_id`` reported ``progress`` (its running totals)."""
        dollars = self.prices.run_dollars(progress.tokens, progress.prompt_tokens, progress.completion_tokens) if self.prices else None
        self._charge(run_id, progress.iteration, progress.tokens, dollars)

    def _charge(self, run_id: str, iteration: int, run_tokens: int, dollars: float | None) -> None:
        self._iterations[run_id] = max(self._iterations.get(run_id, 0), iteration)
        self._tokens[run_id] = max(self._tokens.get(run_id, 0), run_tokens)
        if dollars is not None:
            self._dollars[run_id] = max(self._dollars.get(run_id, 0.0), dollars)

    @property
    def dollars_per_iteration(self) -> float:
        """The cost of one iteration: the mean seen so far, else the plan estimate's, else 0 (the first run starts)."""
        spent, done = self.dollars, self.iterations
        if spent is not None and done:
            return spent / done
        return (self.prices.dollars_per_iteration if self.prices is not None else None) or 0.0

    @property
    def search_dollars(self) -> float | None:
        """Dollars the search may spend: the budget less the final stage's iterations at the current cost per iteration."""
        if self.budget.dollars is None:
            return None
        return self.budget.dollars - self.reserved_iterations * self.dollars_per_iteration

    @property
    def search_iterations(self) -> int | None:
        """Iterations the search may spend (the budget minus the final stage's share)."""
        if self.budget.iterations is None:
            return None
        return self.budget.iterations - self.reserved_iterations

    def affords(self, committed: int) -> bool:
        """Whether ``committed`` more iterations fit the search's iteration budget."""
        limit = self.search_iterations
        return limit is None or self.iterations + committed <= limit

    def blocked(self, committed: int) -> StopReason | None:
        """The limit that runs planned to take ``committed`` more iterations would break, if any.

        Dollars: the spend so far plus ``committed`` iterations (the rest of the runs in flight
        and the run to start) at ``dollars_per_iteration`` must fit ``search_dollars``; a run
        that could overrun the budget is not started.
        """
        if reached := self.exhausted():
            return reached
        dollars = self.search_dollars
        if dollars is not None and (self.dollars or 0.0) + committed * self.dollars_per_iteration > dollars:
            return StopReason.DOLLARS
        return None if self.affords(committed) else StopReason.ITERATIONS

    def exhausted(self) -> StopReason | None:
        """Which limit the search has reached (``ITERATIONS``, ``TOKENS``, ``SECONDS``, ``DOLLARS``), if any."""
        limit = self.search_iterations
        if limit is not None and self.iterations >= limit:
            return StopReason.ITERATIONS
        if self.budget.tokens is not None and self.tokens >= self.budget.tokens:
            return StopReason.TOKENS
        if self.budget.seconds is not None and self.seconds >= self.budget.seconds:
            return StopReason.SECONDS
        dollars = self.search_dollars
        if dollars is not None and (self.dollars or 0.0) >= dollars:
            return StopReason.DOLLARS
        return None

    def to_dict(self) -> dict[str, object]:
        """Spend next to the limits, JSON-ready."""
        return {
            "iterations": self.iterations,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 1),
            "dollars": self.dollars,
            "limits": {
                "iterations": self.budget.iterations, "tokens": self.budget.tokens, "seconds": self.budget.seconds,
                "dollars": self.budget.dollars,
            },
            "reserved_for_final_stage": self.reserved_iterations,
        }
