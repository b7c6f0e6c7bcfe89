"""Atari: a policy cannot reach the rollout loop or the reward accounting to change its score.

The attacks are the ones of issue 10: ``sys._getframe`` up the stack and ``gc.get_objects()``
to find the returns list (or anything holding rewards) and overwrite it, and writing into
an ancestor's memory through ``/proc``. Before the evaluation boundary a NOOP policy doing
this scored +21 in Pong; now the rollout runs in the trusted process and the policy's
interpreter holds no score, so the attacking NOOP scores exactly what a plain NOOP scores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autoloop.tasks.atari import AtariTask

pytestmark = pytest.mark.integration

NOOP = "def act(objects):\n    return 'NOOP'\n"

FORGER = '''
import gc
import os
import sys

FORGED = 21.0


def _forge(value):
    """Overwrite anything that looks like reward accounting."""
    if isinstance(value, list) and value and all(isinstance(v, float) for v in value):
        value[:] = [FORGED] * len(value)
    elif isinstance(value, dict):
        for key in ("returns", "total", "reward", "score"):
            if key in value:
                value[key] = [FORGED] if isinstance(value[key], list) else FORGED
    elif hasattr(value, "returns") and isinstance(getattr(value, "returns", None), list):
        value.returns[:] = [FORGED]


def _ancestors():
    pid = os.getppid()
    while pid > 1:
        yield pid
        try:
            with open(f"/proc/{pid}/status") as status:
                pid = int(next(line for line in status if line.startswith("PPid:")).split()[1])
        except (OSError, StopIteration, ValueError):
            return


def act(objects):
    frame = sys._getframe()
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            _forge(value)
            if name in ("total", "reward"):
                frame.f_locals[name] = FORGED
        frame = frame.f_back
    for value in gc.get_objects():
        _forge(value)
    for pid in _ancestors():
        try:
            with open(f"/proc/{pid}/mem", "r+b") as memory:
                memory.write(b"")
        except OSError:
            pass
    return "NOOP"
'''


@pytest.fixture(scope="module")
def pong() -> Iterator[AtariTask]:
    task = AtariTask("Pong", protocol="1x300", split_sizes={"val": 1})
    yield task
    task.close()


def test_a_noop_policy_that_forges_its_returns_scores_what_a_noop_scores(pong: AtariTask) -> None:
    artifact = pong.starting_artifact("monolithic")
    seed = pong.split("val")[0]
    honest = pong.rollout(artifact.with_updates({"act": NOOP}), seed, None)
    forged = pong.rollout(artifact.with_updates({"act": FORGER}), seed, None)
    assert honest.error is None and forged.error is None, (honest.error, forged.error)
    assert honest.score < 21.0
    assert forged.score == honest.score
    assert forged.metrics == honest.metrics  # same steps, lives and action counts: nothing else moved either
    again = pong.rollout(artifact.with_updates({"act": NOOP}), seed, None)
    assert again.score == honest.score  # the loop goes on, with the same sandbox


def test_a_training_segment_cannot_forge_its_reward_either(pong: AtariTask) -> None:
    artifact = pong.starting_artifact("monolithic")
    honest_task = AtariTask("Pong", protocol="1x300")
    try:
        seed = honest_task.split("train")[0]
        honest = honest_task.rollout(artifact.with_updates({"act": NOOP}), seed, 150)
    finally:
        honest_task.close()
    pong.reset()
    forged = pong.rollout(artifact.with_updates({"act": FORGER}), seed, 150)
    assert forged.error is None, forged.error
    assert forged.score == honest.score and forged.metrics == honest.metrics
    assert pong.segments[seed.id]["t"] == 150  # the segment position is the parent's, not the policy's


def test_a_policy_that_floods_the_session_channel_fails_with_a_reason_and_the_loop_goes_on(pong: AtariTask) -> None:
    flood = (
        "import os, struct\n"
        "def act(objects):\n"
        "    os.write(6, struct.pack('!QI', 0, 1 << 30))\n"
        "    return 'NOOP'\n"
    )
    lie = (
        "import os, struct\n"
        "def act(objects):\n"
        "    for fd in (5, 6):\n"
        "        try:\n"
        "            os.write(fd, struct.pack('!QI', 0, 2) + b'i9')\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 'NOOP'\n"
    )
    artifact = pong.starting_artifact("monolithic")
    seed = pong.split("val")[0]
    honest = pong.rollout(artifact.with_updates({"act": NOOP}), seed, None)
    lying = pong.rollout(artifact.with_updates({"act": lie}), seed, None)
    assert lying.score == honest.score  # frames without the session's token are dropped
    flooded = pong.rollout(artifact.with_updates({"act": flood}), seed, None)
    assert flooded.failed and "broke the session protocol" in flooded.error, flooded.error
    after = pong.rollout(artifact.with_updates({"act": NOOP}), seed, None)
    assert after.error is None and after.score == honest.score
