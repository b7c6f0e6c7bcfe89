"""The contract every ``Optimizer`` keeps, as a pytest class to run against a registered one.

Contract: ``create_optimizer(name, llm=..., seed=...)`` builds it and it carries its registered
``name``; ``propose`` returns an ``Artifact`` of the same parts (it revises, never restructures:
the parts the artifact declares editable may change, the others stay); two optimizers of the same
seed given the same contexts propose the same artifacts; ``state()`` is JSON-ready and an
optimizer restored from it (``load_state``) proposes what the original would have next, so a
resumed loop run continues as if never stopped.

Example:
    >>> class TestMyOptimizer(OptimizerContract):  # doctest: +SKIP
    ...     @pytest.fixture
    ...     def optimizer_case(self):
    ...         return OptimizerCase("mine", contexts=my_contexts)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autoloop.artifact import Artifact
from autoloop.context import LearningContext
from autoloop.llm import LLMConfig
from autoloop.optimizer import Optimizer
from autoloop.optimizers import create_optimizer
from autoloop.testing._pytest import pytest

__all__ = ["OptimizerCase", "OptimizerContract"]


@dataclass(frozen=True)
class OptimizerCase:
    """One registered optimizer under test.

    Args:
        name: Its registered name.
        contexts: ``contexts(artifact)``: the learning context of each of a few updates, built on
            the artifact the previous update proposed (the first on the starting artifact).
        start: The starting artifact.
        llm: Its endpoint (``LLMConfig()`` for optimizers that need none).
        updates: Updates each check makes.
    """

    name: str
    contexts: Callable[[Artifact, int], LearningContext]
    start: Artifact
    llm: LLMConfig = field(default_factory=LLMConfig)
    updates: int = 3


class OptimizerContract:
    """Checks a registered ``Optimizer``; subclass and provide the ``optimizer_case`` fixture."""

    @pytest.fixture
    def optimizer_case(self) -> OptimizerCase:
        """Override in the test class: an ``OptimizerCase`` for the optimizer under test."""
        pytest.fail(f"{__name__}: define an `optimizer_case` fixture in your test class returning an OptimizerCase")

    def test_is_built_by_name_and_proposes_artifacts_of_the_same_parts(self, optimizer_case: OptimizerCase) -> None:
        optimizer = create_optimizer(optimizer_case.name, llm=optimizer_case.llm, seed=0)
        assert isinstance(optimizer, Optimizer) and optimizer.name == optimizer_case.name
        for artifact in _proposals(optimizer, optimizer_case):
            assert isinstance(artifact, Artifact)
            assert set(artifact.parameters) == set(optimizer_case.start.parameters)
            fixed = set(optimizer_case.start.parameters) - set(optimizer_case.start.editable)
            assert all(artifact.parameters[p] == optimizer_case.start.parameters[p] for p in fixed)

    def test_the_same_seed_proposes_the_same_artifacts(self, optimizer_case: OptimizerCase) -> None:
        first = _proposals(create_optimizer(optimizer_case.name, llm=optimizer_case.llm, seed=5), optimizer_case)
        second = _proposals(create_optimizer(optimizer_case.name, llm=optimizer_case.llm, seed=5), optimizer_case)
        assert [a.hash for a in first] == [a.hash for a in second]

    def test_a_restored_state_continues_as_if_never_stopped(self, optimizer_case: OptimizerCase) -> None:
        original = create_optimizer(optimizer_case.name, llm=optimizer_case.llm, seed=7)
        proposed = _proposals(original, optimizer_case, updates=optimizer_case.updates - 1)
        saved = json.loads(json.dumps(original.state()))
        restored = create_optimizer(optimizer_case.name, llm=optimizer_case.llm, seed=7)
        restored.load_state(saved)
        context = optimizer_case.contexts(proposed[-1], optimizer_case.updates)
        assert restored.propose(context).hash == original.propose(context).hash


def _proposals(optimizer: Optimizer, case: OptimizerCase, *, updates: int | None = None) -> Sequence[Artifact]:
    artifact, out = case.start, []
    for iteration in range(1, (updates or case.updates) + 1):
        artifact = optimizer.propose(case.contexts(artifact, iteration))
        out.append(artifact)
    return out
