"""Budget: loop iterations, LLM tokens and wall time; whichever is spent first ends the search."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from autoloop.controller._strategy import StopReason
from autoloop.errors import ConfigError


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
    """

    iterations: int | None = None
    tokens: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("iterations", "tokens", "seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"budget {name} must be positive, got {value!r}")
        if self.iterations is None and self.tokens is None and self.seconds is None:
            raise ConfigError("a study needs a budget: pass --budget-iterations, --budget-tokens or --budget-seconds")


@dataclass
class Meter:
    """What a study has spent so far.

    Runs report running totals, so spend is kept per run (the latest iteration and token
    count each run reported): an event seen twice, e.g. after a restart, is not charged twice.

    Args:
        budget: The study's limits.
        reserved_iterations: Set aside for the final stage.
        started: Wall-clock time (``time.time()``) the study started; survives restarts.
    """

    budget: Budget
    reserved_iterations: int = 0
    started: float = field(default_factory=time.time)
    _iterations: dict[str, int] = field(default_factory=dict)
    _tokens: dict[str, int] = field(default_factory=dict)

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

    def charge(self, run_id: str, iteration: int, run_tokens: int) -> None:
        """``run_id`` has completed ``iteration`` iterations and spent ``run_tokens`` in total."""
        self._iterations[run_id] = max(self._iterations.get(run_id, 0), iteration)
        self._tokens[run_id] = max(self._tokens.get(run_id, 0), run_tokens)

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

    def can_start(self, committed: int) -> bool:
        """Whether runs planned to take ``committed`` more iterations may start: no limit reached, and they fit."""
        return self.exhausted() is None and self.affords(committed)

    def exhausted(self) -> StopReason | None:
        """Which limit the search has reached (``ITERATIONS``, ``TOKENS``, ``SECONDS``), if any."""
        limit = self.search_iterations
        if limit is not None and self.iterations >= limit:
            return StopReason.ITERATIONS
        if self.budget.tokens is not None and self.tokens >= self.budget.tokens:
            return StopReason.TOKENS
        if self.budget.seconds is not None and self.seconds >= self.budget.seconds:
            return StopReason.SECONDS
        return None

    def to_dict(self) -> dict[str, object]:
        """Spend next to the limits, JSON-ready."""
        return {
            "iterations": self.iterations,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 1),
            "limits": {"iterations": self.budget.iterations, "tokens": self.budget.tokens, "seconds": self.budget.seconds},
            "reserved_for_final_stage": self.reserved_iterations,
        }
