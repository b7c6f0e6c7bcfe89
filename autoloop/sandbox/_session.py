"""Sessions: one confined child that answers a stream of messages from the trusted side.

A ``Sandbox.session`` starts one child, like ``Sandbox.call``, and then exchanges small
binary messages with it directly over a pair of pipes every child inherits (the server is
not on that path, so a round trip costs two pipe hops). The trusted side keeps the loop
(an emulator, the reward accounting) in its own interpreter and asks the child only for
the candidate's decision at each step.

Frames on the channel are a header (a random 64-bit session token, a 32-bit length) plus
the message. Each side drops frames whose token is not the session's, so nothing an
earlier child left in a pipe can reach a later session; an empty message ends the session.
"""

from __future__ import annotations

import contextlib
import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

from autoloop.sandbox._limits import Outcome
from autoloop.sandbox._wire import WireClosed, WireTimeout, recv, write_all

# Where a child finds the channel (the server maps its inherited pipe ends onto these).
CHANNEL_IN_FD = 5
CHANNEL_OUT_FD = 6
HEADER = struct.Struct("!QI")
MAX_MESSAGE_BYTES = 1 << 20
# How long ``close`` waits for a child to finish after the session ended, before giving up
# on the server (a child that ignores the end of its session holds nothing worth waiting for).
END_GRACE_S = 5.0
_READ_BYTES = 1 << 16


class ProtocolViolationError(Exception):
    """The child broke the channel protocol (oversized frame)."""


def next_frame(buffer: bytearray, token: int) -> bytes | None:
    """Pop the first complete frame of ``token`` from ``buffer`` (others are dropped).

    Raises:
        ProtocolViolationError: A frame announces more than ``MAX_MESSAGE_BYTES``.
    """
    while len(buffer) >= HEADER.size:
        frame_token, size = HEADER.unpack_from(buffer)
        if size > MAX_MESSAGE_BYTES:
            raise ProtocolViolationError(f"a message of {size} bytes (more than {MAX_MESSAGE_BYTES})")
        end = HEADER.size + size
        if len(buffer) < end:
            return None
        message = bytes(buffer[HEADER.size : end])
        del buffer[:end]
        if frame_token == token:
            return message
    return None


def only_frame(chunk: bytes, token: int) -> bytes | None:
    """The message of ``chunk`` when it is exactly one frame of ``token`` (the common case of a
    step, read in one piece into an empty buffer), else ``None``: queue it and use ``next_frame``."""
    if len(chunk) < HEADER.size:
        return None
    frame_token, size = HEADER.unpack_from(chunk)
    return chunk[HEADER.size :] if frame_token == token and len(chunk) == HEADER.size + size else None


class Channel:
    """The child's end of a session: receive a message, send one back.

    Trusted entry functions get it as their first argument when started by
    ``Sandbox.session``. The candidate can reach it too; the parent checks every message.
    """

    def __init__(self, token: int) -> None:
        self._token = token
        self._buffer = bytearray()
        os.set_blocking(CHANNEL_IN_FD, True)  # an earlier candidate may have changed the shared flag

    def receive(self) -> bytes | None:
        """The next message from the parent, or ``None`` when the parent ended the session."""
        while (message := next_frame(self._buffer, self._token)) is None:
            chunk = os.read(CHANNEL_IN_FD, _READ_BYTES)
            if not chunk:
                return None
            if not self._buffer and (message := only_frame(chunk, self._token)) is not None:
                break  # no copy through the buffer
            self._buffer += chunk
        return message or None

    def send(self, message: bytes) -> None:
        """Send one message to the parent."""
        data = HEADER.pack(self._token, len(message)) + message
        # One write per step in the common case (a small frame into a pipe the parent drains);
        # write_all (a select per write) only for what a full pipe or a non-blocking fd left.
        try:
            written = os.write(CHANNEL_OUT_FD, data)
        except BlockingIOError:
            written = 0
        if written < len(data):
            write_all(CHANNEL_OUT_FD, data[written:])


class Session:
    """The trusted side of a session; made by ``Sandbox.session``, used as a context manager.

    Args:
        channel: ``(write_fd, read_fd)`` of the parent's pipe ends.
        server_fd: Where the server's reply (how the child ended) arrives.
        token: This session's frame token.
        deadline: ``time.monotonic()`` after which the server counts as stuck.
        finish: Called once with the server's reply (or ``None`` if it never came, which
            also means the server must be restarted); returns the outcome.
    """

    def __init__(
        self,
        channel: tuple[int, int],
        server_fd: int,
        token: int,
        deadline: float,
        finish: Callable[[dict[str, Any] | None, str], Outcome],
    ) -> None:
        self._down, self._up = channel
        self._server_fd = server_fd
        self._token = token
        self._deadline = deadline
        self._finish = finish
        self._buffer = bytearray()
        self._poll = select.poll()
        self._poll.register(self._up, select.POLLIN)
        self._poll.register(server_fd, select.POLLIN)
        self.outcome: Outcome | None = None
        _drain(self._up)  # bytes a killed child of an earlier session left behind

    @classmethod
    def ended(cls, outcome: Outcome) -> Session:
        """A session that failed before it started: ``exchange`` returns ``None`` at once."""
        session = cls.__new__(cls)
        session.outcome = outcome
        return session

    def exchange(self, message: bytes) -> bytes | None:
        """Send ``message`` to the child and return its answer.

        Returns:
            The child's next message, or ``None`` once the child has ended (returned,
            failed, timed out or broke the protocol); ``outcome`` then says how.
        """
        if not message:
            raise ValueError("a session message must not be empty (the empty message ends the session)")
        if self.outcome is not None:
            return None
        data = HEADER.pack(self._token, len(message)) + message
        try:
            written = os.write(self._down, data)
            if written < len(data):
                write_all(self._down, data[written:], self._deadline)
        except BlockingIOError:
            try:
                write_all(self._down, data, self._deadline)
            except (WireClosed, WireTimeout):
                return self._end(None, "the evaluation stopped reading its input")
        return self._answer()

    def close(self) -> Outcome:
        """End the session and return how the child ended. Idempotent."""
        if self.outcome is None:
            # The end frame fits an empty pipe; if the child left the pipe full it is not listening anyway.
            with contextlib.suppress(BlockingIOError):
                os.write(self._down, HEADER.pack(self._token, 0))
            reply = self._wait_server(min(self._deadline, time.monotonic() + END_GRACE_S))
            self._end(reply, "" if reply is not None else "the evaluation did not finish when its session ended")
        return self.outcome  # type: ignore[return-value] - set by _end

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _answer(self) -> bytes | None:
        while True:
            try:
                message = next_frame(self._buffer, self._token)
            except ProtocolViolationError as exc:
                return self._end(None, f"the evaluation broke the session protocol: {exc}")
            if message is not None:
                return message
            left = self._deadline - time.monotonic()
            if left <= 0:
                return self._end(None, "the sandbox server stopped responding during the session")
            for fd, _ in self._poll.poll(left * 1000):
                if fd == self._up:
                    chunk = os.read(self._up, _READ_BYTES)
                    # A frame has at least one byte, so this is the child's answer and within bounds.
                    if not self._buffer and (message := only_frame(chunk, self._token)):
                        return message
                    self._buffer += chunk
                else:
                    reply = self._wait_server(self._deadline)
                    return self._end(reply, "" if reply is not None else "the sandbox server died during the session")

    def _wait_server(self, deadline: float) -> dict[str, Any] | None:
        try:
            return recv(self._server_fd, deadline)
        except (WireClosed, WireTimeout):
            return None

    def _end(self, reply: dict[str, Any] | None, reason: str) -> None:
        """Record the outcome once; the server is restarted when ``reply`` is ``None``."""
        if self.outcome is None:
            self.outcome = self._finish(reply, reason)
            self._poll.unregister(self._up)
            self._poll.unregister(self._server_fd)


def _drain(fd: int) -> None:
    while True:
        try:
            if not os.read(fd, _READ_BYTES):
                return
        except BlockingIOError:
            return
