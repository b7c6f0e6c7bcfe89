"""The Atari evaluation boundary without a sandbox: action encoding and the shared Observer."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autoloop.tasks.atari import get_game
from autoloop.tasks.atari._env import AtariEnv
from autoloop.tasks.atari._objects import Observer
from autoloop.tasks.atari._rollout import action_lookup, decode_action
from autoloop.tasks.atari._runner import encode_action


@pytest.mark.parametrize(
    ("action", "decoded"),
    [("FIRE", "FIRE"), ("left", "left"), (2, 2), (True, 1), (np.int64(3), 3), (2.0, 2)],
)
def test_names_and_indices_survive_the_round_trip(action, decoded) -> None:
    assert decode_action(encode_action(action)) == decoded


@pytest.mark.parametrize("action", [1.5, None, ["FIRE"], object(), 10**40])
def test_anything_else_reaches_the_parent_as_a_description_no_lookup_accepts(action) -> None:
    lookup = action_lookup(["NOOP", "FIRE"], {})
    decoded = decode_action(encode_action(action))
    assert decoded not in lookup
    assert repr(decoded)[:10] == repr(action)[:10]


@pytest.mark.parametrize("message", [b"", b"i", b"i12x", b"i" + b"9" * 40, b"s" + b"x" * 500, b"\xff\xfe"])
def test_malformed_messages_are_never_actions(message) -> None:
    assert decode_action(message) not in action_lookup(["NOOP", "FIRE"], {})


@pytest.mark.parametrize("game", ["Pong", "SpaceInvaders", "Qbert"])
def test_the_parents_lazy_observer_sees_what_the_policy_saw(game) -> None:
    """The child extracts objects at every step, the parent only at recorded ones: same objects."""
    spec = get_game(game)
    env = AtariEnv(spec.rom, 1)
    env.reset(0)
    eager, lazy = Observer(spec.extract, spec.values), Observer(spec.extract, spec.values)
    ram = env.ale.getRAM().tobytes()
    eager.start(ram)
    lazy.start(ram)
    rng = random.Random(0)
    for t in range(60):
        seen = eager.objects()
        if t % 7 in (0, 1):
            assert lazy.objects() == seen, f"{game} step {t}"
        env.step(rng.randrange(len(env.actions)))
        ram = env.ale.getRAM().tobytes()
        eager.advance(ram)
        lazy.advance(ram)
