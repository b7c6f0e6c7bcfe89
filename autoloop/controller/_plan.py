"""StudyPlan: how a study spends its budget (runs, seeds, re-checks, strategy), from named presets.

``autoloop tune``, ``autoloop submit``, ``autoloop.Client`` and the HTTP API all resolve the
plan with ``StudyPlan.resolve(preset, **overrides)``, so a study planned anywhere runs with the
same defaults; the resolved plan is echoed with the result. ``check_budget`` refuses, before
any run starts, a budget that cannot pay for one round of the plan, and names what fits.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from autoloop.controller._budget import Budget
from autoloop.controller._prior import Prior
from autoloop.controller._pruners import DEFAULT_PRUNER, pruner_names
from autoloop.controller._space import SearchSpace
from autoloop.controller._strategy import DEFAULT_STRATEGY, StrategyContext, make_strategy, resolve_strategy, strategy_names
from autoloop.controller._verdict import DEFAULT_CONFIDENCE
from autoloop.errors import ConfigError, UnknownNameError

DEFAULT_PRESET = "standard"
# Fields a caller may override on top of a preset (everything but the preset's name).
OVERRIDABLE = ("iterations", "seeds", "top_k", "final_seeds", "budget_iterations", "strategy", "pruner", "confidence",
               "val_interval", "patience", "memory")
# The field's name before `strategy` (accepted for one release, with a DeprecationWarning).
DEPRECATED = {"sampler": "strategy"}
# The overrides a round's cost grows with.
_COSTS = ("iterations", "seeds", "top_k", "final_seeds")
# The one place plan values are bounded: the API's schema, the CLI and the client read these too.
RANGES = {"iterations": (1, 1000), "seeds": (1, 100), "top_k": (1, 100), "final_seeds": (1, 100),
           "budget_iterations": (1, 10**6), "val_interval": (1, 1000), "patience": (0, 1000), "memory": (0, 100)}


@dataclass(frozen=True)
class LoopPlan:
    """Loop settings every run of a study shares (knobs in the space override them)."""

    iterations: int
    val_interval: int = 1
    patience: int = 0
    memory: int = 3


@dataclass(frozen=True)
class FieldNames:
    """How a caller spells the plan's fields in messages: CLI flags or API field names.

    Args:
        names: Plan field (or ``budget_iterations``, ``preset``, ``space``) to the caller's name.
        assign: Format of "set this field to that value", e.g. ``"{name} {value}"``.
    """

    names: dict[str, str]
    assign: str

    def set(self, field: str, value: object) -> str:
        """``--budget-iterations 84`` or ``budget.iterations=84``."""
        return self.assign.format(name=self.names.get(field, field), value=value)

    def name(self, field: str) -> str:
        """The caller's name of ``field``."""
        return self.names.get(field, field)


CLI_NAMES = FieldNames(
    {f: "--" + f.replace("_", "-") for f in (*OVERRIDABLE, "preset", "space")}, "{name} {value}"
)
API_NAMES = FieldNames({"budget_iterations": "budget.iterations"}, "{name}={value}")


@dataclass(frozen=True)
class StudyPlan:
    """Everything a study decides before its first run, besides the task and the budget limits.

    Args:
        preset: The preset the plan starts from (``quick``, ``standard``, ``thorough``).
        iterations: Optimizer updates per loop run.
        seeds: Loop runs per trial (Optuna samplers).
        top_k: Settings re-checked on test in the final stage (Optuna samplers).
        final_seeds: Fresh seeds per re-checked setting (Optuna samplers).
        budget_iterations: The iteration budget when the caller gives no limit at all.
        strategy: Search strategy: ``auto`` or a name from ``strategy_names()``.
        pruner: Optuna pruner.
        confidence: Fixed-confidence stopping level (``None`` = fixed budget).
        val_interval: Validate every N iterations.
        patience: Stop a run after N validations without gain (0 = never).
        memory: Past attempts shown to the optimizer.
        overrides: The fields the caller set on top of the preset.
    """

    preset: str
    iterations: int
    seeds: int
    top_k: int
    final_seeds: int
    budget_iterations: int
    strategy: str = DEFAULT_STRATEGY
    pruner: str = DEFAULT_PRUNER
    confidence: float | None = None
    val_interval: int = 1
    patience: int = 0
    memory: int = 3
    overrides: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field, problem in _problems(asdict(self)):
            raise ConfigError(f"{field} {problem}")

    @classmethod
    def resolve(cls, preset: str | None = None, *, names: FieldNames | None = None, **overrides: Any) -> StudyPlan:
        """The preset's plan with the caller's values on top (``None`` values take the preset's).

        Args:
            preset: A name from ``PRESETS`` (``None`` = ``DEFAULT_PRESET``).
            names: How the caller spells the fields in errors (default ``CLI_NAMES``).
            **overrides: Fields from ``OVERRIDABLE``; a misspelt one is an error (``sampler``, the old
                name of ``strategy``, is accepted with a ``DeprecationWarning``).

        Example:
            >>> StudyPlan.resolve("quick", seeds=2).seeds
            2

        Raises:
            UnknownNameError: No such preset.
            ConfigError: An unknown field or a value out of range.
        """
        name = preset or DEFAULT_PRESET
        if name not in PRESETS:
            raise UnknownNameError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        overrides = _renamed(overrides)
        unknown = sorted(set(overrides) - set(OVERRIDABLE))
        if unknown:
            raise ConfigError(f"unknown plan field(s) {unknown}; a plan sets {', '.join(OVERRIDABLE)}")
        given = {k: v for k, v in overrides.items() if v is not None}
        for field, problem in _problems(given):
            raise ConfigError(f"{(names or CLI_NAMES).name(field)} {problem}")
        return replace(PRESETS[name], **given, overrides=tuple(k for k in OVERRIDABLE if k in given))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudyPlan:
        """The plan ``to_dict`` wrote (as stored with a service study)."""
        known = {f.name for f in fields(cls)}
        data = {DEPRECATED.get(k, k): v for k, v in data.items()}  # plans stored before the rename
        overrides = tuple(DEPRECATED.get(k, k) for k in data.get("overrides", ()))
        return cls(**{**{k: v for k, v in data.items() if k in known}, "overrides": overrides})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, every field resolved: what a study record and ``tune --json`` echo."""
        data = asdict(self)
        data["overrides"] = list(self.overrides)
        return data

    @property
    def loop(self) -> LoopPlan:
        """The loop settings every run shares."""
        return LoopPlan(iterations=self.iterations, val_interval=self.val_interval, patience=self.patience, memory=self.memory)

    def budget(
        self, *, iterations: int | None = None, tokens: int | None = None, seconds: float | None = None, dollars: float | None = None
    ) -> Budget:
        """The study's limits: the caller's, or the plan's iteration budget when none is given."""
        if iterations is None and tokens is None and seconds is None and dollars is None:
            iterations = self.budget_iterations
        return Budget(iterations=iterations, tokens=tokens, seconds=seconds, dollars=dollars)

    def context(
        self, space: SearchSpace, *, planned_runs: int | None, seed: int, study_name: str, max_seeds: int, prior: Prior | None = None
    ) -> StrategyContext:
        """What this plan hands its strategy's factory."""
        return StrategyContext(
            space, self.iterations, self.val_interval, self.seeds, self.top_k, self.final_seeds, self.pruner,
            self.confidence or DEFAULT_CONFIDENCE, max_seeds, planned_runs, seed, study_name, prior,
        )

    def takes_prior(self, space: SearchSpace) -> bool:
        """Whether this plan's strategy on ``space`` starts from a warm-start prior (``SearchStrategy.uses_prior``)."""
        return make_strategy(self.strategy, self.context(space, planned_runs=None, seed=0, study_name="prior", max_seeds=1)).uses_prior

    def round_cost(self, space: SearchSpace) -> tuple[int, str]:
        """Iterations one round of this plan's strategy costs on ``space`` (``SearchStrategy.round_runs``:
        a best-arm round gives every setting one seed; an Optuna round is one trial plus the final
        stage, set aside from the start), and how that adds up."""
        strategy = make_strategy(self.strategy, self.context(space, planned_runs=None, seed=0, study_name="round", max_seeds=1))
        runs = strategy.round_runs
        return runs * self.iterations, f"one round of {resolve_strategy(self.strategy, space)} is {runs} runs x {self.iterations} iterations"

    def check_budget(self, budget: Budget, space: SearchSpace, names: FieldNames = CLI_NAMES) -> None:
        """Refuse an iteration budget that cannot pay for one round; say which preset or budget fits.

        Raises:
            ConfigError: The budget is too small; the message names the field and the fix.
        """
        need, why = self.round_cost(space)
        if budget.iterations is None or budget.iterations >= need:
            return
        fits = [p for p in PRESETS if p != self.preset and self._as(p).round_cost(space)[0] <= budget.iterations]
        fixes = [*(names.set("preset", p) for p in fits[-1:]), names.set("budget_iterations", need)]
        counts = [names.name(f) for f in self.overrides if f in _COSTS]
        if not fits and counts:
            fixes.append(f"fewer {', '.join(counts)}")
        elif not fits:
            fixes.append(f"a smaller {names.name('space')} ({space.size} settings now)")
        raise ConfigError(
            f"{names.name('budget_iterations')} {budget.iterations} is too small for preset {self.preset} "
            f"(needs >= {need}: {why}); use {' or '.join(fixes)}"
        )

    def _as(self, preset: str) -> StudyPlan:
        """This plan's overrides on another preset."""
        return StudyPlan.resolve(preset, **{k: getattr(self, k) for k in self.overrides})


def _problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, what is wrong) for each plan value in ``values`` that cannot work."""
    out = [
        (name, f"must be an integer in [{low}, {high}], got {values[name]!r}")
        for name, (low, high) in RANGES.items()
        if name in values and (isinstance(values[name], bool) or not isinstance(values[name], int) or not low <= values[name] <= high)
    ]
    if "strategy" in values and values["strategy"] not in strategy_names():
        out.append(("strategy", f"names no search strategy; choose one of {', '.join(strategy_names())}"))
    if "pruner" in values and values["pruner"] not in pruner_names():
        out.append(("pruner", f"names no pruner; choose one of {', '.join(pruner_names())}"))
    confidence = values.get("confidence")
    if confidence is not None and not (isinstance(confidence, int | float) and 0.5 <= confidence < 1):
        out.append(("confidence", "must be in [0.5, 1), e.g. 0.95"))
    return out


def _renamed(overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` with deprecated field names replaced (a warning each; the new name wins)."""
    out = dict(overrides)
    for old, new in DEPRECATED.items():
        if old in out:
            value = out.pop(old)
            if value is not None:
                warnings.warn(f"the plan field {old!r} is now {new!r}; {old!r} goes away in the next release",
                              DeprecationWarning, stacklevel=3)
                out[new] = value if out.get(new) is None else out[new]
    return out


# Sized on mlpipeline:spaceship-titanic's default space (6 settings): each preset's default
# budget pays for its first round whichever strategy runs, and `standard` fits 60 iterations.
PRESETS: dict[str, StudyPlan] = {
    "quick": StudyPlan("quick", iterations=4, seeds=1, top_k=1, final_seeds=2, budget_iterations=60),
    "standard": StudyPlan("standard", iterations=6, seeds=2, top_k=2, final_seeds=3, budget_iterations=200),
    "thorough": StudyPlan("thorough", iterations=10, seeds=3, top_k=3, final_seeds=5, budget_iterations=600),
}
