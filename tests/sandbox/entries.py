"""Trusted entry functions the sandbox tests and benchmark call (``tests.sandbox.entries:...``)."""

from __future__ import annotations

from typing import Any

from autoloop.sandbox import Channel, exec_candidate


def run(source: str, *args: Any) -> Any:
    """Execute ``source`` and return ``main(*args)``."""
    return exec_candidate(source)["main"](*args)


def echo(value: Any) -> Any:
    """Return ``value`` unchanged: the trivial evaluation the overhead benchmark times."""
    return value


def serve(channel: Channel, source: str) -> int:
    """Answer each session message with ``main(message)`` from ``source``; the count answered."""
    main = exec_candidate(source)["main"]
    count = 0
    while (message := channel.receive()) is not None:
        channel.send(main(message))
        count += 1
    return count
