"""A sandbox shared by the tests of a module, preloaded with numpy and scikit-learn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autoloop.sandbox import Limits, Sandbox

RUN = "tests.sandbox.entries:run"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(limits=Limits(timeout_s=20, memory_mb=1024), preload=("numpy", "sklearn.linear_model")) as sb:
        yield sb


@pytest.fixture(scope="module")
def light_sandbox() -> Iterator[Sandbox]:
    """No preloads: restarts are cheap, for the tests that kill or fork the server."""
    with Sandbox(limits=Limits(timeout_s=20, memory_mb=1024)) as sb:
        yield sb


def assert_still_works(sb: Sandbox) -> None:
    """The sandbox answers a good call after whatever the test did to it."""
    out = sb.call(RUN, "def main(x):\n    return x + 1\n", 41)
    assert out.ok, out.error
    assert out.value == 42
