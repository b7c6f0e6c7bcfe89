"""SearchSpace: the loop settings a study may try, built from what the task declares."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from autoloop.errors import ConfigError
from autoloop.settings import LoopSettings
from autoloop.tasks import TaskInfo

if TYPE_CHECKING:
    import optuna

# Knobs a space may search; the first three come from the task, the rest only when asked for.
KNOBS = ("starting_artifact", "credit_horizon", "batch_size", "memory", "val_interval", "patience")
ALIASES = {"artifact": "starting_artifact", "horizon": "credit_horizon", "batch": "batch_size"}


@dataclass(frozen=True)
class SearchSpace:
    """Finite choices per loop knob; every combination is a candidate ``LoopSettings``.

    Args:
        choices: Knob name (a ``LoopSettings`` field in ``KNOBS``) to its candidate values.
        infeasible: Combinations that must never run, each with the reason (``key_of``
            their settings): ``grid`` and ``size`` leave them out, ``allows`` says no.

    Example:
        >>> info = TaskInfo(("one", "many"), (1, 10), (1, 3), Metric("accuracy"))
        >>> space = SearchSpace.from_task(info, "artifact=many;batch_size=1,3,5;memory=0,3")
        >>> space.size
        12
    """

    choices: Mapping[str, tuple[Any, ...]]
    infeasible: Mapping[tuple[tuple[str, Any], ...], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for knob, values in self.choices.items():
            if knob not in KNOBS:
                raise ConfigError(f"unknown search knob {knob!r}; searchable: {', '.join(KNOBS)}")
            if not values or len(set(values)) != len(values):
                raise ConfigError(f"knob {knob!r} needs distinct values, got {list(values)}")
        if "starting_artifact" not in self.choices:
            raise ConfigError("a search space needs starting_artifact choices")
        object.__setattr__(self, "choices", MappingProxyType({k: tuple(v) for k, v in self.choices.items()}))
        object.__setattr__(self, "infeasible", MappingProxyType(dict(self.infeasible)))
        for combo in self._combinations():
            LoopSettings(**combo)  # every value valid on its own (range checks live in LoopSettings)

    @classmethod
    def from_task(cls, info: TaskInfo, spec: str | None = None) -> SearchSpace:
        """The task's declared artifacts, horizons and batch sizes, restricted or extended by ``spec``.

        Args:
            info: What the task declares.
            spec: ``knob=v1,v2;knob=v3``. A knob given replaces the declared values:
                artifacts must be declared ones (restrict), integer knobs may take any valid
                value (extend), and ``memory``/``val_interval``/``patience`` join the search.

        Raises:
            ConfigError: Unknown knob, undeclared artifact, or a malformed value.
        """
        choices = _task_choices(info, spec)
        undeclared = set(choices["starting_artifact"]) - set(info.artifacts)
        if undeclared:
            raise ConfigError(f"artifact(s) {sorted(undeclared)} not declared by the task; choose from {list(info.artifacts)}")
        return cls(choices)

    @staticmethod
    def count(info: TaskInfo, spec: str | None = None) -> int:
        """How many settings ``from_task(info, spec)`` would hold, without building them (a service
        checks this against its limit before any combination is made).

        Raises:
            ConfigError: A malformed ``spec``.
        """
        return math.prod(len(set(values)) for values in _task_choices(info, spec).values())

    @property
    def knobs(self) -> tuple[str, ...]:
        """Knob names in a fixed order."""
        return tuple(k for k in KNOBS if k in self.choices)

    @property
    def size(self) -> int:
        """Number of distinct feasible settings."""
        return len(self.grid())

    def grid(self) -> list[dict[str, Any]]:
        """Every feasible combination, as ``LoopSettings`` keyword arguments."""
        return [combo for combo in self._combinations() if key_of(combo) not in self.infeasible]

    def allows(self, settings: Mapping[str, Any]) -> bool:
        """``settings`` is not one of the infeasible combinations."""
        return key_of(settings) not in self.infeasible

    def without(self, infeasible: Mapping[tuple[tuple[str, Any], ...], str]) -> SearchSpace:
        """This space with ``infeasible`` combinations (``key_of`` -> reason) left out too.

        Raises:
            ConfigError: No feasible setting is left; the message gives the reasons.
        """
        space = SearchSpace(self.choices, {**self.infeasible, **infeasible})
        if not space.grid():
            reasons = "; ".join(f"{_label(dict(k))}: {r}" for k, r in space.infeasible.items())
            raise ConfigError(f"no setting of the space is feasible: {reasons}")
        return space

    def infeasible_settings(self) -> list[tuple[dict[str, Any], str]]:
        """The combinations left out, as settings with their reasons."""
        return [(dict(k), reason) for k, reason in self.infeasible.items()]

    def _combinations(self) -> list[dict[str, Any]]:
        knobs = self.knobs
        return [dict(zip(knobs, combo, strict=True)) for combo in itertools.product(*(self.choices[k] for k in knobs))]

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Ask ``trial`` for one value per knob."""
        return {k: trial.suggest_categorical(k, self.choices[k]) for k in self.knobs}

    def to_dict(self) -> dict[str, list[Any]]:
        """A JSON-ready form."""
        return {k: list(self.choices[k]) for k in self.knobs}


def _task_choices(info: TaskInfo, spec: str | None) -> dict[str, tuple[Any, ...]]:
    """The task's declared knob values, replaced knob by knob by those ``spec`` gives."""
    choices: dict[str, tuple[Any, ...]] = {
        "starting_artifact": tuple(info.artifacts),
        "credit_horizon": tuple(info.horizons),
        "batch_size": tuple(info.batch_sizes),
    }
    choices.update(parse_spec(spec or ""))
    return choices


def key_of(settings: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A hashable key of a setting (its knob values, sorted by name)."""
    return tuple(sorted(settings.items()))


def _label(settings: Mapping[str, Any]) -> str:
    return ";".join(f"{k}={v}" for k, v in settings.items())


def parse_spec(spec: str) -> dict[str, tuple[Any, ...]]:
    """Parse ``artifact=a,b;credit_horizon=1,400`` into knob choices (aliases resolved)."""
    out: dict[str, tuple[Any, ...]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, eq, values = part.partition("=")
        knob = ALIASES.get(name.strip(), name.strip())
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not eq or not items:
            raise ConfigError(f"bad space entry {part!r}; write knob=v1,v2 (e.g. batch_size=1,3)")
        if knob not in KNOBS:
            raise ConfigError(f"unknown search knob {name.strip()!r}; searchable: {', '.join(KNOBS)} (aliases: {', '.join(ALIASES)})")
        if knob == "starting_artifact":
            out[knob] = tuple(items)
            continue
        try:
            out[knob] = tuple(int(v) for v in items)
        except ValueError:
            raise ConfigError(f"knob {knob!r} takes integers, got {values!r}") from None
    return out
