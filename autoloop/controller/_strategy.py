"""SearchStrategy: the one extension point of the search, ask/tell in the style of Optuna's samplers.

A strategy proposes runs (``ask``: a setting and the paired seeds to run it with), learns what
became of them (``tell``: one ``Outcome`` per run), and says when and why the search is over
(``stop_reason``: a ``StopReason``). The controller's scheduler loop (``_scheduler.search``) is
the only loop: it keeps ``parallel`` runs in flight, checks the budget once before each
proposal, stops runs the strategy gives up on, and records every run in the study, so a
restarted study hands the strategy what was already run (``resume``) and never runs a finished
run again. Strategies are registered by name (``register_strategy``); the built-ins are the
best-arm rules (``halving``, ``racing``, ``ttts``) and one Optuna strategy per registered
sampler (``tpe``, ``random``, ``grid``: sampler + pruner + a final re-check on fresh seeds).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from autoloop.controller._registry import Registry
from autoloop.errors import UnknownNameError

if TYPE_CHECKING:
    from autoloop.controller._prior import Prior
    from autoloop.controller._record import RunRecord
    from autoloop.controller._space import SearchSpace

# Spaces up to this many settings are searched as best-arm problems by default (``auto``):
# the first round gives every setting one seed, which must stay a small share of a budget.
BEST_ARM_MAX_SETTINGS = 64
# The default strategy everywhere (CLI, client, API, StudyPlan): ``halving`` up to
# BEST_ARM_MAX_SETTINGS settings, ``tpe`` beyond.
DEFAULT_STRATEGY = "auto"
# Final-stage (confirmation) seeds start here, far from the search seeds 0..S-1.
FINAL_SEED_BASE = 10_000


class StopReason(StrEnum):
    """Why a search ended (a ``str``: JSON and the study's records keep the plain value)."""

    ITERATIONS = "iterations"  # the iteration budget
    TOKENS = "tokens"  # the token budget
    SECONDS = "seconds"  # the time budget
    DOLLARS = "dollars"  # the dollar budget: the next run could have overrun it
    SPACE = "space"  # every setting of the space was tried
    CONFIDENT = "confident"  # the pick is certain at the study's confidence
    SEEDS = "seeds"  # no setting may get another seed


@dataclass(frozen=True)
class Proposal:
    """Runs to start now: one setting with one or more paired seeds (seed ``s`` is the same
    common random number for every setting).

    Args:
        settings: Knob values (no seed).
        seeds: Seeds to run it with; more than one start together (an Optuna trial's seeds).
        score_test: Score the run's returned artifact on test at its end (read only to report).
    """

    settings: dict[str, Any]
    seeds: tuple[int, ...]
    score_test: bool = True


@dataclass(frozen=True)
class Outcome:
    """What became of one run: its setting, seed and record."""

    settings: dict[str, Any]
    seed: int
    record: RunRecord

    @property
    def value(self) -> float | None:
        """The score strategies rank by (higher is better): the run's re-validation score (its
        returned artifact on data the loop never saw) when it has one, else its best validation;
        ``None`` for a run stopped early or failed."""
        return None if self.record.stopped_by_study else self.record.score

    @property
    def partial(self) -> float | None:
        """Best validation so far, stopped runs included (what pruning and budget-cut trials read)."""
        return self.record.best_val


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy factory is given.

    Args:
        space: The settings to search.
        iterations: Iterations of every loop run.
        val_interval: Iterations between validations (pruning starts after a few).
        seeds: Seeds per trial (Optuna strategies).
        top_k: Settings re-checked on fresh seeds (Optuna strategies).
        final_seeds: Fresh seeds per re-checked setting (Optuna strategies).
        pruner: Registered pruner name (Optuna strategies).
        level: Confidence of eliminations (e.g. 0.95).
        max_seeds: Seeds one setting may get (best-arm strategies).
        planned_runs: Runs the iteration budget pays for (``None``: not an iteration budget).
        seed: Seeds every draw of the strategy.
        study_name: The study's name (Optuna's Hyperband buckets trials by it).
        prior: A warm start from past studies (``_prior.Prior``), for strategies with
            ``uses_prior``; ``None`` for a cold start.
    """

    space: SearchSpace
    iterations: int
    val_interval: int
    seeds: int
    top_k: int
    final_seeds: int
    pruner: str
    level: float
    max_seeds: int
    planned_runs: int | None
    seed: int
    study_name: str
    prior: Prior | None = None


class SearchStrategy(ABC):
    """Proposes runs, learns their outcomes, says when the search is over.

    Attributes:
        uses_prior: The strategy starts from ``StrategyContext.prior`` (a warm start); a study
            asking for a warm start with a strategy that does not is refused.
    """

    uses_prior = False

    @abstractmethod
    def ask(self) -> Proposal | None:
        """The next runs to start (``None``: nothing to start until more outcomes arrive)."""

    @abstractmethod
    def tell(self, outcome: Outcome) -> None:
        """One run ended (finished, stopped early or failed)."""

    @abstractmethod
    def stop_reason(self) -> StopReason | None:
        """Why the search is over, or ``None`` to go on. Checked before every ``ask`` and after
        every batch of events; once it is not ``None`` the runs in flight are stopped."""

    def resume(self, started: Sequence[Proposal], outcomes: Sequence[Outcome]) -> None:
        """A restarted study: ``started`` were proposed before the restart (their runs without
        an outcome are re-submitted), ``outcomes`` are the recorded ends, oldest first.
        The default tells every outcome; strategies that count what they proposed override it."""
        del started
        for outcome in outcomes:
            self.tell(outcome)

    def report(self, settings: dict[str, Any], step: int, value: float) -> bool:
        """A setting's mean best validation over its runs reached ``step``; return ``True`` to
        stop its runs in flight (pruning). Default: never."""
        del settings, step, value
        return False

    def eliminated(self) -> list[dict[str, Any]]:
        """Settings whose runs in flight are no longer needed (stopped on their partial curve)."""
        return []

    def reserve(self) -> int:
        """Runs set aside from the budget for ``confirm`` (default none)."""
        return 0

    def confirm(self) -> list[Proposal]:
        """Runs made after the search, paid from ``reserve`` (e.g. the finalists on fresh seeds)."""
        return []

    @property
    def cost(self) -> int:
        """Runs the next proposal starts together (the budget must pay for all of them)."""
        return 1

    @property
    def round_runs(self) -> int:
        """Runs of one round, the least a study's budget must pay for before it starts
        (default: one proposal plus the reserve)."""
        return self.cost + self.reserve()

    def compared(self) -> list[dict[str, Any]] | None:
        """The settings the verdict compares, in the order its tie rule prefers (``None``: every
        setting whose runs scored test, in the order they were first proposed)."""
        return None


StrategyFactory = Callable[[StrategyContext], SearchStrategy]
STRATEGIES: Registry[StrategyFactory] = Registry("strategy", "factory(context)", lambda: SearchStrategy)


def register_strategy(name: str, factory: StrategyFactory) -> None:
    """Register ``factory(context) -> SearchStrategy`` under ``name`` (a later one replaces it).

    Raises:
        ConfigError: ``name`` is empty or ``auto``, or ``factory`` is not callable.
    """
    STRATEGIES.add(name, factory, reserved=(DEFAULT_STRATEGY,))


def strategy_names() -> tuple[str, ...]:
    """Every strategy a study may name: ``auto``, then the registered ones, built-ins first."""
    return (DEFAULT_STRATEGY, *STRATEGIES.names())


def resolve_strategy(name: str, space: SearchSpace) -> str:
    """The registered strategy ``name`` stands for on ``space`` (``auto``: ``halving`` up to
    ``BEST_ARM_MAX_SETTINGS`` settings, ``tpe`` beyond).

    Raises:
        UnknownNameError: No strategy of that name; the message lists them.
    """
    if name == DEFAULT_STRATEGY:
        return "halving" if space.size <= BEST_ARM_MAX_SETTINGS else "tpe"
    if name not in STRATEGIES.factories:
        raise UnknownNameError(f"unknown strategy {name!r}; choose one of {', '.join(strategy_names())}")
    return name


def make_strategy(name: str, context: StrategyContext) -> SearchStrategy:
    """Build the strategy registered as ``name`` (``auto`` resolved on ``context.space``).

    Raises:
        UnknownNameError: No such strategy.
        ConfigError: The factory returned something other than a ``SearchStrategy``.
    """
    return STRATEGIES.build(resolve_strategy(name, context.space), context)
