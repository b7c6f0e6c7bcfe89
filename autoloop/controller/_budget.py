"""Budget: loop iterations, LLM tokens and wall time; whichever is spent first ends the search."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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
    """What a study has spent so far; tokens are tracked per run because runs report totals."""

    budget: Budget
    reserved_iterations: int = 0
    iterations: int = 0
    started: float = field(default_factory=time.monotonic)
    _tokens: dict[str, int] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        """Tokens over all runs."""
        return sum(self._tokens.values())

    @property
    def seconds(self) -> float:
        """Wall time since the study started."""
        return time.monotonic() - self.started

    def charge(self, run_id: str, run_tokens: int) -> None:
        """Count one iteration of ``run_id``, which has now spent ``run_tokens`` in total."""
        self.iterations += 1
        self._tokens[run_id] = run_tokens

    @property
    def search_iterations(self) -> int | None:
        """Iterations the search may spend (the budget minus the final stage's share)."""
        if self.budget.iterations is None:
            return None
        return self.budget.iterations - self.reserved_iterations

    def can_start(self, committed: int) -> bool:
        """Whether runs planned to take ``committed`` more iterations fit the search budget."""
        limit = self.search_iterations
        return self.exhausted() is None and (limit is None or self.iterations + committed <= limit)

    def exhausted(self) -> str | None:
        """Which limit the search has reached (``iterations``, ``tokens``, ``seconds``), if any."""
        limit = self.search_iterations
        if limit is not None and self.iterations >= limit:
            return "iterations"
        if self.budget.tokens is not None and self.tokens >= self.budget.tokens:
            return "tokens"
        if self.budget.seconds is not None and self.seconds >= self.budget.seconds:
            return "seconds"
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
