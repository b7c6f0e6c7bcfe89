"""Trusted sandbox entry: serve a candidate policy's decisions, one step at a time.

This is all that runs in the candidate's interpreter: ``serve_policy`` receives each
step's console RAM (128 bytes, tagged ``START`` at the first step of a segment) over the
session channel, turns it into the objects (``Observer``), calls ``act(objects)`` and sends
back the action, encoded by ``encode_action``. The emulator, the step loop and the reward
accounting stay in the trusted process (``_rollout.py``), which checks every action.
"""

from __future__ import annotations

import operator
from typing import Any

from autoloop.sandbox import Channel, exec_candidate
from autoloop.tasks.atari._games import get_game
from autoloop.tasks.atari._objects import Observer

ENTRY_FUNCTION = "act"
# What the task passes to ``Sandbox.session``.
ENTRY = "autoloop.tasks.atari._runner:serve_policy"
# Longest action text the parent considers (the longest action name is 13 characters).
MAX_ACTION_CHARS = 64
MAX_REPR_CHARS = 200
# Message tags: the first step of a segment, or any later one.
START = b"S"
STEP = b"N"


def serve_policy(channel: Channel, source: str, game: str) -> int:
    """Answer every step of the session with ``act(objects)``.

    Args:
        channel: The session channel (``Sandbox.session`` passes it).
        source: The candidate module; it must define ``act(objects) -> action``.
        game: Game name, for its object extractor.

    Returns:
        How many steps the policy answered.

    Raises:
        TypeError: The candidate does not define ``act`` (the session reports it).
    """
    act = exec_candidate(source).get(ENTRY_FUNCTION)
    if not callable(act):
        raise TypeError(f"the policy must define a function {ENTRY_FUNCTION}(objects) returning an action")
    spec = get_game(game)
    observer = Observer(spec.extract, spec.values)
    steps = 0
    while (message := channel.receive()) is not None:
        if message[:1] == START:
            observer.start(message[1:])
        else:
            observer.advance(message[1:])
        channel.send(encode_action(act(observer.objects())))
        steps += 1
    return steps


def encode_action(action: Any) -> bytes:
    """``b"s"`` + a name, ``b"i"`` + an index, or ``b"r"`` + the repr of anything else."""
    if isinstance(action, str):
        return b"s" + action[:MAX_ACTION_CHARS].encode("utf-8", errors="replace")
    try:
        number = operator.index(action)
    except TypeError:
        number = int(action) if isinstance(action, float) and action.is_integer() else None
    if number is not None and abs(number) < 1 << 31:
        return b"i" + str(number).encode()
    return b"r" + repr(action)[:MAX_REPR_CHARS].encode("utf-8", errors="replace")
