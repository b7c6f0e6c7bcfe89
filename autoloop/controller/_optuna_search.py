"""OptunaStrategy: an Optuna sampler proposes settings, a pruner cuts them, the top-k are re-run.

Each trial is one setting run with the plan's ``seeds`` search seeds (started together). The
pruner reads the trial's mean validation curve (the mean over its seeds of each run's best
validation so far) and stops its runs early. A trial's value is the mean score of its runs
(``Outcome.value``, re-validation when present; a trial cut short keeps its partial best). When
the search ends, the ``top_k`` settings (completed trials first) are re-run on ``final_seeds``
fresh seeds scored on test (``confirm``), paid from the share of the budget set aside for it.

The sampler and the pruner live in an in-memory Optuna study of their own (named after the
study: Hyperband buckets trials by name, so a seeded study repeats); the study the controller
records runs in holds one trial per setting whatever the strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autoloop.controller._samplers import BUILTIN_SAMPLERS, SAMPLERS, SamplerFactory
from autoloop.controller._strategy import FINAL_SEED_BASE, Outcome, Proposal, SearchStrategy, StopReason, StrategyContext, register_strategy
from autoloop.controller._study import create_study

__all__ = ["OptunaStrategy", "register_sampler"]


@dataclass
class _Trial:
    trial: Any
    settings: dict[str, Any]
    seeds: tuple[int, ...]
    partial: dict[int, float | None] = field(default_factory=dict)  # seed -> best validation (stopped runs too)
    values: dict[int, float] = field(default_factory=dict)  # seed -> value of the runs that ran to their end
    pruned: bool = False
    told: bool = False

    @property
    def value(self) -> float | None:
        """Mean over the seeds that scored: the finished runs' values, a cut run's partial best."""
        scores = [self.values.get(s, p) for s, p in self.partial.items() if p is not None]
        return sum(scores) / len(scores) if scores else None  # type: ignore[arg-type]


class OptunaStrategy(SearchStrategy):
    """Search with the sampler registered as ``sampler`` and the context's pruner."""

    def __init__(self, context: StrategyContext, sampler: str) -> None:
        self.context, self.space = context, context.space
        self.study = create_study(
            self.space, sampler=sampler, pruner=context.pruner, iterations=context.iterations,
            min_resource=max(context.val_interval, context.iterations // 3), seed=context.seed, study_name=context.study_name,
        )
        self.trials: dict[tuple, _Trial] = {}
        self._exhausted = False

    @property
    def cost(self) -> int:
        return self.context.seeds

    def ask(self) -> Proposal | None:
        """A new setting for the sampler's next trial; a setting already tried is told its known
        outcome instead of being run again."""
        import optuna

        if len(self.trials) == self.space.size:
            self._exhausted = True
        for _ in range(0 if self._exhausted else 4 * self.space.size):
            trial = self.study.ask()
            settings = self.space.suggest(trial)
            if not self.space.allows(settings):  # suggested knob by knob: an infeasible combination is never run
                self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                continue
            known = self.trials.get(_key(settings))
            if known is None:
                return self._start(trial, settings)
            _tell_duplicate(self.study, trial, known)
        self._exhausted = True
        return None

    def tell(self, outcome: Outcome) -> None:
        if outcome.seed >= FINAL_SEED_BASE:
            return  # a re-check run: the search is over
        entry = self.trials[_key(outcome.settings)]
        entry.partial[outcome.seed] = outcome.partial
        if outcome.value is not None:
            entry.values[outcome.seed] = outcome.value
        if outcome.record.stopped_by_study:
            entry.pruned = True  # pruned, or cut by the budget: told as pruned, ranked after completed trials
        if len(entry.partial) == len(entry.seeds) and not entry.told:
            self._close(entry)

    def resume(self, started: Sequence[Proposal], outcomes: Sequence[Outcome]) -> None:
        for proposal in started:
            if min(proposal.seeds) < FINAL_SEED_BASE and _key(proposal.settings) not in self.trials:
                self.study.enqueue_trial(proposal.settings)
                self._start(self.study.ask(), proposal.settings, proposal.seeds)
        for outcome in outcomes:
            self.tell(outcome)

    def stop_reason(self) -> StopReason | None:
        done = all(t.told for t in self.trials.values())
        return StopReason.SPACE if self._exhausted and done else None

    def report(self, settings: dict[str, Any], step: int, value: float) -> bool:
        entry = self.trials.get(_key(settings))
        if entry is None or entry.pruned or entry.told:
            return False
        entry.trial.report(value, step)
        entry.pruned = entry.trial.should_prune()
        return entry.pruned

    def reserve(self) -> int:
        return self.context.top_k * self.context.final_seeds

    def confirm(self) -> list[Proposal]:
        """The top-k settings by search value (completed trials first), on fresh seeds scored on test."""
        ranked = sorted(
            (t for t in self.trials.values() if t.value is not None), key=lambda t: (not t.pruned, t.value), reverse=True,
        )
        seeds = tuple(FINAL_SEED_BASE + i for i in range(self.context.final_seeds))
        return [Proposal(dict(t.settings), seeds) for t in ranked[: self.context.top_k]]

    def _start(self, trial: Any, settings: dict[str, Any], seeds: Sequence[int] | None = None) -> Proposal:
        seeds = tuple(range(self.context.seeds)) if seeds is None else tuple(seeds)
        self.trials[_key(settings)] = _Trial(trial, dict(settings), seeds)
        return Proposal(dict(settings), seeds, score_test=False)

    def _close(self, entry: _Trial) -> None:
        import optuna

        value = entry.value
        if entry.pruned:
            self.study.tell(entry.trial, state=optuna.trial.TrialState.PRUNED)
        elif value is None:
            self.study.tell(entry.trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(entry.trial, value)
        entry.told = True


def _key(settings: dict[str, Any]) -> tuple:
    return tuple(sorted(settings.items()))


def _tell_duplicate(study: Any, trial: Any, known: _Trial) -> None:
    import optuna

    value = known.value
    if known.told and not known.pruned and value is not None:
        study.tell(trial, value)
    else:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED if known.told else optuna.trial.TrialState.FAIL)



def register_sampler(name: str, factory: SamplerFactory) -> None:
    """Register ``factory(space, *, seed) -> BaseSampler`` under ``name`` (a later one replaces it),
    and the search strategy of that name that runs it with the plan's pruner.

    Example:
        >>> import optuna
        >>> register_sampler("qmc", lambda space, *, seed: optuna.samplers.QMCSampler(seed=seed))
        >>> from autoloop.controller import strategy_names
        >>> "qmc" in strategy_names()
        True

    Raises:
        ConfigError: ``name`` is empty or ``factory`` is not callable.
    """
    SAMPLERS.add(name, factory)
    register_strategy(name, lambda context: OptunaStrategy(context, name))


for _name, _factory in BUILTIN_SAMPLERS.items():
    register_sampler(_name, _factory)
