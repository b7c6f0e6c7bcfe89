"""LoopSettings: the knobs of one inner learning loop, validated once at the edge."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from autoloop.errors import ConfigError

MAX_ITERATIONS = 10_000
MAX_BATCH_SIZE = 256
MAX_HORIZON = 1_000_000


@dataclass(frozen=True)
class LoopSettings:
    """Settings of one loop run.

    Args:
        starting_artifact: Name of the task's starting artifact.
        credit_horizon: Steps of a trace that go into one update (1 = update after every step).
        batch_size: Independent traces concatenated into one update.
        iterations: Optimizer updates at most.
        val_interval: Validate every this many iterations.
        patience: Stop after this many validations without improvement (0 = never stop early).
        memory: Past attempts shown to the optimizer.
        seed: Seed for instance order and optimizer randomness.
        max_skips: End the run after this many skipped updates in a row (unusable LLM
            replies, a prompt too long for the model's context), keeping its result; 0 = never.
    """

    starting_artifact: str
    credit_horizon: int = 1
    batch_size: int = 1
    iterations: int = 10
    val_interval: int = 1
    patience: int = 0
    memory: int = 3
    seed: int = 0
    max_skips: int = 3

    def __post_init__(self) -> None:
        _check_range("credit_horizon", self.credit_horizon, 1, MAX_HORIZON)
        _check_range("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        _check_range("iterations", self.iterations, 1, MAX_ITERATIONS)
        _check_range("val_interval", self.val_interval, 1, MAX_ITERATIONS)
        _check_range("patience", self.patience, 0, MAX_ITERATIONS)
        _check_range("memory", self.memory, 0, 100)
        _check_range("seed", self.seed, 0, 2**31 - 1)
        _check_range("max_skips", self.max_skips, 0, MAX_ITERATIONS)
        if not self.starting_artifact:
            raise ConfigError("starting_artifact is empty; pass --artifact NAME (see `autoloop tasks`)")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoopSettings:
        """Build settings from a mapping, rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown loop setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


def _check_range(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
