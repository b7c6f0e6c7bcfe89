"""Attacks on the sandbox: candidates that first remove the audit hook, then try the kernel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autoloop.sandbox import Limits, Sandbox
from tests.sandbox.conftest import RUN, assert_still_works

__all__ = ["RUN", "UNHOOK", "assert_still_works", "attack"]

# Prepended to an attack: empties the audit hook's dispatch table, found through the garbage
# collector, and undoes its _posixsubprocess patch, so only the kernel is left to refuse.
UNHOOK = """\
import gc, importlib, subprocess, sys

def unhook():
    policies = [o for o in gc.get_objects() if type(o).__name__ == "ScratchPolicy"]
    assert policies, "no audit policy found"
    for policy in policies:
        policy._handlers.clear()
    patched = sys.modules.pop("_posixsubprocess")
    fresh = importlib.import_module("_posixsubprocess")
    sys.modules["_posixsubprocess"] = patched
    patched.fork_exec = subprocess._fork_exec = fresh.fork_exec

"""


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(limits=Limits(timeout_s=20, memory_mb=1024)) as sb:
        yield sb


def attack(sb: Sandbox, body: str, *args: object, limits: Limits | None = None) -> object:
    """Run ``UNHOOK`` + ``body`` (defining ``main``), check the hook really went, return main's value."""
    source = UNHOOK + body
    out = sb.call(RUN, source, *args, limits=limits)
    assert out.ok, f"{out.error}\n{out.output}"
    return out.value
