"""The offline ``local`` optimizer: constant discovery, in-place rewrites, accept-or-revert."""

from __future__ import annotations

import ast
import random

from autoloop.context import build_context
from autoloop.optimizers import LocalOptimizer
from autoloop.policies import artifact_from_python
from autoloop.trace import Trace

SOURCE = '''"""Doc."""
import math

def fit(x):
    model = Model(n_estimators=200, learning_rate=0.1, random_state=0)  # keep this comment
    return x[0] * 2.5 + model.depth(3)
'''


def _context(artifact, score, iteration):
    return build_context(artifact, [Trace("t", "train", (), score)], horizon=1, background="", iteration=iteration)


def test_tunable_constants_skip_subscripts_seeds_and_docstrings():
    from autoloop.optimizers._local import tunable_constants

    values = sorted(n.value for n in tunable_constants(artifact_from_python("a", SOURCE).parameters["fit"]))
    assert values == [0.1, 2.5, 3, 200]


def test_proposal_rewrites_constants_in_place_and_keeps_comments():
    art = artifact_from_python("a", SOURCE)
    new = LocalOptimizer(seed=1).propose(_context(art, 0.5, 1))
    assert new.hash != art.hash
    assert "# keep this comment" in new.parameters["fit"]
    assert new.parameters["header"] == art.parameters["header"]
    ast.parse(new.source)


def test_worse_candidate_is_reverted_and_better_one_kept():
    art = artifact_from_python("a", SOURCE)
    opt = LocalOptimizer(seed=2)
    candidate = opt.propose(_context(art, 0.5, 1))
    assert opt.accepted["parameters"] == dict(art.parameters)
    opt.propose(_context(candidate, 0.1, 2))  # worse: accepted stays the start
    assert opt.accepted["parameters"] == dict(art.parameters)
    opt.propose(_context(candidate, 0.9, 3))  # better: candidate accepted
    assert opt.accepted["parameters"] == dict(candidate.parameters)


def test_same_seed_same_proposals_and_state_round_trips():
    art = artifact_from_python("a", SOURCE)
    a, b = LocalOptimizer(seed=4), LocalOptimizer(seed=4)
    first = a.propose(_context(art, 0.5, 1))
    assert first == b.propose(_context(art, 0.5, 1))
    c = LocalOptimizer(seed=4)
    c.load_state(a.state())
    assert a.propose(_context(first, 0.7, 2)) == c.propose(_context(first, 0.7, 2))


def test_perturbed_fractions_stay_fractions():
    from autoloop.optimizers._local import perturb_value

    rng = random.Random(0)
    assert all(0 < perturb_value(0.9, rng) < 1 for _ in range(50))
    assert all(isinstance(perturb_value(7, rng), int) for _ in range(50))
