"""Running candidate source inside a sandboxed child, and describing how it failed."""

from __future__ import annotations

import builtins
import linecache
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from autoloop.errors import SandboxError

_candidate_files: set[str] = set()
_inside_sandbox = False


def mark_inside_sandbox() -> None:
    """Called by the sandboxed child once its limits are in place."""
    global _inside_sandbox
    _inside_sandbox = True


def exec_candidate(source: str, *, name: str = "candidate") -> dict[str, Any]:
    """Execute candidate source in a fresh namespace and return that namespace.

    Only works inside an entry function that ``Sandbox.call`` runs: candidate code never
    executes in the parent process. Errors raised by the candidate propagate and are
    reported with the line of the candidate they come from.

    Args:
        source: Python source an optimizer wrote.
        name: How the source is called in error messages (``"line 3 of candidate"``).

    Returns:
        The module-level names the source defined (functions, constants, ...).

    Raises:
        SandboxError: Called outside a sandboxed evaluation.

    Example:
        >>> def entry(source, x):  # in a trusted module, run via Sandbox.call
        ...     return exec_candidate(source)["f"](x)
    """
    if not _inside_sandbox:
        raise SandboxError(
            "exec_candidate runs candidate code only inside a sandboxed evaluation; "
            "call it from an entry function passed to Sandbox.call"
        )
    filename = f"<{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    _candidate_files.add(filename)
    namespace: dict[str, Any] = {"__name__": name, "__builtins__": builtins}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def candidate_function(namespace: Mapping[str, Any], name: str) -> Callable[..., Any]:
    """The callable ``name`` from an ``exec_candidate`` namespace.

    Raises:
        TypeError: The candidate does not define ``name`` as a function (a failed outcome).
    """
    value = namespace.get(name)
    if not callable(value):
        found = "it is missing" if value is None else f"it is a {type(value).__name__}"
        raise TypeError(f"the candidate must define a function {name}(...); {found}")
    return value


def _where(filename: str, lineno: int | None) -> str:
    code = linecache.getline(filename, lineno or 0).strip()
    where = f"line {lineno} of {filename.strip('<>')}"
    return f"{where}: {code}" if code else where


def describe_exception(exc: BaseException) -> str:
    """``"Type: message (line N of candidate: code)"``, pointing at the deepest candidate frame."""
    head = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, SyntaxError) and exc.filename in _candidate_files:
        return f"{type(exc).__name__}: {exc.msg} ({_where(exc.filename, exc.lineno)})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in _candidate_files]
    if not frames:
        return head
    return f"{head} ({_where(frames[-1].filename, frames[-1].lineno)})"


def candidate_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` restricted to candidate frames (empty when there are none)."""
    tb: TracebackType | None = exc.__traceback__
    frames = [f for f in traceback.extract_tb(tb) if f.filename in _candidate_files]
    if not frames:
        return ""
    lines = ["Traceback (candidate frames only):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(exc)
    return "".join(lines)
