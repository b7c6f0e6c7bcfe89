"""Sessions: one confined child answering a stream of messages over the session channel."""

from __future__ import annotations

import pytest

from autoloop.sandbox import Limits, Sandbox
from tests.sandbox.conftest import assert_still_works

pytestmark = pytest.mark.integration

SERVE = "tests.sandbox.entries:serve"
REVERSE = "def main(message):\n    return message[::-1]\n"


def test_a_session_answers_each_message_and_reports_how_the_child_ended(light_sandbox: Sandbox) -> None:
    with light_sandbox.session(SERVE, REVERSE) as session:
        assert session.exchange(b"abc") == b"cba"
        assert [session.exchange(bytes([i]) * 5000) for i in range(1, 4)] == [bytes([i]) * 5000 for i in range(1, 4)]
    assert session.outcome is not None and session.outcome.ok and session.outcome.value == 4
    assert_still_works(light_sandbox)


def test_a_failing_child_ends_the_session_with_the_reason(light_sandbox: Sandbox) -> None:
    with light_sandbox.session(SERVE, "def main(message):\n    raise ValueError('no')\n") as session:
        assert session.exchange(b"x") is None
        assert session.exchange(b"y") is None
    assert not session.outcome.ok and "ValueError: no (line 2 of candidate" in session.outcome.error
    assert_still_works(light_sandbox)


def test_a_silent_child_times_out_and_the_next_session_reads_nothing_it_left(light_sandbox: Sandbox) -> None:
    silent = "import time\ndef main(message):\n    time.sleep(30)\n"
    with light_sandbox.session(SERVE, silent, limits=Limits(timeout_s=1)) as session:
        assert session.exchange(b"x") is None
    assert "timed out after 1s" in session.outcome.error
    # A child that answers twice: the extra answer must not reach the next session.
    twice = (
        "import gc\nfrom autoloop.sandbox import Channel\n"
        "def main(message):\n"
        "    for channel in [c for c in gc.get_objects() if isinstance(c, Channel)]:\n"
        "        channel.send(b'first')\n"
        "    return message\n"
    )
    with light_sandbox.session(SERVE, twice) as session:
        assert session.exchange(b"one") == b"first"
    with light_sandbox.session(SERVE, REVERSE) as session:
        assert session.exchange(b"ab") == b"ba"


def test_an_oversized_frame_breaks_the_session_and_the_sandbox_recovers(light_sandbox: Sandbox) -> None:
    liar = "import os, struct\ndef main(message):\n    os.write(6, struct.pack('!QI', 1, 1 << 30))\n    return b'x'\n"
    with light_sandbox.session(SERVE, liar) as session:
        assert session.exchange(b"x") is None
    assert "broke the session protocol" in session.outcome.error
    assert_still_works(light_sandbox)


def test_empty_messages_are_refused(light_sandbox: Sandbox) -> None:
    with light_sandbox.session(SERVE, REVERSE) as session, pytest.raises(ValueError, match="must not be empty"):
        session.exchange(b"")
