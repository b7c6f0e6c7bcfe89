"""The ``local`` optimizer: offline hill climbing over numeric constants, no LLM.

Each update it compares the batch score of the artifact under evaluation with the score of
the last accepted artifact, keeps the candidate if it did at least as well and reverts it
otherwise, then perturbs one or two numeric constants of the accepted artifact's editable
functions (found with ``ast``, rewritten in place so comments and layout survive). It uses
only the rollouts the loop already ran, so batch size and credit horizon shape its evidence
exactly as they shape an LLM's. Deterministic for a seed.

It changes quantities, never codes or code that cannot run. Left alone (read from the
source alone, ``tunable_constants``):

- codes: an integer returned as it is (``return 2``: an action, a class label) and integers
  compared for equality or membership (``action == 3``, ``n in (0, 1)``); floats returned
  (``return 110.0``) and every constant inside a computation (``return 0.5 * x``) are tuned;
- indices and identifiers: subscripts (``x[0]``) and keywords such as ``random_state``;
- dead code: the body of a branch whose test is a constant false (``if False:``, ``if 0:``,
  ``while False:``), the ``else`` of a constant true one, and statements after a ``return``,
  ``raise``, ``break`` or ``continue`` in the same block.

A branch that could run but never does on the task's data looks like any other to the source;
the optimizer sees only batch scores, so perturbing a constant there costs one update whose
score does not move (accepted as a tie), never a wrong change.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from typing import Any

from autoloop.artifact import Artifact
from autoloop.context import LearningContext
from autoloop.llm import LLMConfig
from autoloop.optimizer import Optimizer
from autoloop.optimizers._registry import register_optimizer

# Keyword arguments whose values are identifiers, not tunable quantities.
FROZEN_KEYWORDS = frozenset({"random_state", "seed", "axis", "n_jobs", "verbose", "verbosity", "ndim", "shape"})
FACTORS = (0.5, 0.8, 1.25, 2.0)


def tunable_constants(source: str) -> list[ast.Constant]:
    """Numeric literals worth perturbing: not bools, codes, indices, identifiers or dead code (module docstring)."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        skip.update(id(n) for n in _frozen(node))
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and type(n.value) in (int, float)
        and id(n) not in skip
        and n.lineno == n.end_lineno
    ]


def _frozen(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under ``node`` that must not change, by the rules of the module docstring."""
    yield from _frozen_by_kind(node)
    yield from _dead_branch(node)
    yield from _unreachable(node)


def _frozen_by_kind(node: ast.AST) -> Iterator[ast.AST]:
    """Indexes, frozen keywords, docstrings, returned codes and codes compared for equality."""
    if isinstance(node, ast.Subscript):
        yield from ast.walk(node.slice)
    elif isinstance(node, ast.keyword) and node.arg in FROZEN_KEYWORDS:
        yield from ast.walk(node.value)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        yield node.value
    elif isinstance(node, ast.Return) and node.value is not None and _is_code(node.value):
        yield from ast.walk(node.value)
    elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops):
        for side in (node.left, *node.comparators):
            yield from (n for n in ast.walk(side) if _is_code(n))


def _dead_branch(node: ast.AST) -> Iterator[ast.AST]:
    """A literal test and the branch it never takes."""
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        truth = _constant_truth(node.test)
        dead = [] if truth is None else [node.test, *_as_list(node.body if truth is False else node.orelse)]
        for part in dead:
            yield from ast.walk(part)


def _unreachable(node: ast.AST) -> Iterator[ast.AST]:
    """Statements after a ``return``, ``raise``, ``break`` or ``continue`` in the same block."""
    for block in (getattr(node, name, None) for name in ("body", "orelse", "finalbody")):
        if isinstance(block, list):
            ends = [i for i, stmt in enumerate(block) if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue))]
            for stmt in block[ends[0] + 1 :] if ends else ():
                yield from ast.walk(stmt)


def _as_list(part: ast.AST | list[ast.stmt]) -> list[ast.AST]:
    return list(part) if isinstance(part, list) else [part]


def _is_code(node: ast.AST) -> bool:
    """An integer literal (or its negation): an action, a label, a count compared for equality."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _constant_truth(test: ast.AST) -> bool | None:
    """The truth of a test made of a literal (``False``, ``0``, ``not True``); ``None`` when it depends on data."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _constant_truth(test.operand)
        return None if inner is None else not inner
    return None


def perturb_value(value: int | float, rng: random.Random) -> int | float:
    """A nearby value of the same type and sign; fractions stay inside (0, 1)."""
    factor = rng.choice(FACTORS)
    if isinstance(value, int):
        if value == 0:
            return rng.choice((1, 2))
        new = round(value * factor)
        return new if new != value else value + (1 if factor > 1 else -1) * (1 if value > 0 else -1)
    if value == 0.0:
        return rng.choice((0.01, 0.1))
    new = value * factor
    if 0 < value < 1:
        new = min(new, (1 + value) / 2)
    return float(f"{new:.4g}")


def replace_constant(source: str, node: ast.Constant, value: int | float) -> str:
    """Rewrite one literal in place, keeping the rest of the text byte for byte."""
    lines = source.splitlines(keepends=True)
    line = lines[node.lineno - 1].encode()
    new = line[: node.col_offset] + repr(value).encode() + line[node.end_col_offset :]
    lines[node.lineno - 1] = new.decode()
    return "".join(lines)


class LocalOptimizer(Optimizer):
    """Accept-or-revert hill climbing on numeric constants (see the module docstring).

    Args:
        seed: Seeds the choice of constants and factors; with the iteration number it makes
            every proposal reproducible, also after a resume.
        max_changes: Constants changed per proposal at most.
    """

    name = "local"

    def __init__(self, seed: int = 0, *, max_changes: int = 2) -> None:
        super().__init__()
        self.seed = seed
        self.max_changes = max_changes
        self.accepted: dict[str, Any] | None = None
        self.accepted_score: float | None = None

    def propose(self, context: LearningContext) -> Artifact:
        score = context.batch_score
        if self.accepted is None or self.accepted_score is None or score >= self.accepted_score:
            self.accepted, self.accepted_score = context.artifact.to_dict(), score
        base = Artifact.from_dict(self.accepted)
        rng = random.Random(self.seed * 7919 + context.iteration)
        return self._perturb(base, rng)

    def _perturb(self, artifact: Artifact, rng: random.Random) -> Artifact:
        if artifact.kind != "python":
            return artifact
        sites = [(name, node) for name in sorted(artifact.editable) for node in tunable_constants(artifact.parameters[name])]
        if not sites:
            return artifact
        updates = dict(artifact.parameters)
        count = min(len(sites), rng.randint(1, self.max_changes))
        # Rewrite from the end of each text backwards so earlier offsets stay valid.
        chosen = sorted(rng.sample(sites, count), key=lambda s: (s[0], -s[1].lineno, -s[1].col_offset))
        for name, node in chosen:
            updates[name] = replace_constant(updates[name], node, perturb_value(node.value, rng))
        return artifact.with_updates({k: updates[k] for k in artifact.editable})

    def state(self) -> dict[str, Any]:
        return {**super().state(), "accepted": self.accepted, "accepted_score": self.accepted_score}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.accepted = state.get("accepted")
        self.accepted_score = state.get("accepted_score")


def _create(llm: LLMConfig, seed: int) -> LocalOptimizer:
    del llm  # offline by design
    return LocalOptimizer(seed)


register_optimizer("local", _create)
