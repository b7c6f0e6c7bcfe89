"""Trusted entry function that runs inside a sandbox session: answer each step with ``act``.

The child receives only the observation of each step (four numbers) and sends back the
candidate's action; the environment, the step loop and the reward stay in the parent, which
checks every action (``_task.py``).
"""

from __future__ import annotations

import operator
import struct
from typing import Any

from autoloop.sandbox import Channel, candidate_function, exec_candidate

OBSERVATION = struct.Struct("!4d")
MAX_REPR_CHARS = 120


def serve_policy(channel: Channel, source: str) -> int:
    """Answer every message (an observation) with ``act(observation)``; returns the steps answered."""
    act = candidate_function(exec_candidate(source), "act")
    steps = 0
    while (message := channel.receive()) is not None:
        channel.send(encode_action(act(OBSERVATION.unpack(message))))
        steps += 1
    return steps


def encode_action(action: Any) -> bytes:
    """An integer action as its digits; anything else as ``?`` + its repr, for the parent's error message."""
    try:
        return str(operator.index(action)).encode()
    except TypeError:
        return b"?" + repr(action)[:MAX_REPR_CHARS].encode("utf-8", errors="replace")
