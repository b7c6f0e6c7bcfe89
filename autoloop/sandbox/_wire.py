"""Length-prefixed frames over pipes, with deadlines, and a restricted unpickler.

Every read and write the parent does takes a deadline so a stuck server can never hang
it. Values that come back from a sandboxed child are decoded with ``safe_loads``: the
candidate controls those bytes, and a plain ``pickle.loads`` would run its code here.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import select
import struct
import sys
import time
from typing import Any

# How the parent tells the server (``python -m autoloop.sandbox._server``) what to do.
SYSPATH_ENV = "AUTOLOOP_SANDBOX_SYSPATH"
BASE_ENV = "AUTOLOOP_SANDBOX_BASE"
PRELOAD_ENV = "AUTOLOOP_SANDBOX_PRELOAD"
# Directories a child must never see, even when on sys.path (os.pathsep-separated).
HIDDEN_ENV = "AUTOLOOP_SANDBOX_HIDDEN"
# The operator's explicit switch: "1" runs candidates without kernel confinement (development only).
UNSAFE_ENV = "AUTOLOOP_UNSAFE_SANDBOX"
CHANNEL_ENV = "AUTOLOOP_SANDBOX_CHANNEL"

_HEADER = struct.Struct("!Q")


class WireClosed(EOFError):
    """The other end closed the pipe."""


class WireTimeout(TimeoutError):
    """The deadline passed before the frame was complete."""


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise WireTimeout("deadline passed")
    return left


def write_all(fd: int, data: bytes, deadline: float | None = None) -> None:
    """Write ``data`` to a (possibly non-blocking) fd, waiting at most until ``deadline``."""
    view = memoryview(data)
    while view:
        select.select([], [fd], [], _remaining(deadline))
        try:
            written = os.write(fd, view[: 1 << 20])
        except BlockingIOError:
            continue
        except BrokenPipeError as exc:
            raise WireClosed("pipe closed by the reader") from exc
        view = view[written:]


def read_exact(fd: int, size: int, deadline: float | None = None) -> bytes:
    """Read exactly ``size`` bytes, waiting at most until ``deadline``."""
    chunks = bytearray()
    while len(chunks) < size:
        ready, _, _ = select.select([fd], [], [], _remaining(deadline))
        if not ready:
            continue
        try:
            chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise WireClosed(f"pipe closed after {len(chunks)} of {size} bytes")
        chunks += chunk
    return bytes(chunks)


def frame(data: bytes) -> bytes:
    """``data`` with its length prefix."""
    return _HEADER.pack(len(data)) + data


def unframe(data: bytes | bytearray) -> bytes | None:
    """The payload of the frame at the start of ``data``, or ``None`` while it is incomplete."""
    if len(data) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack_from(data)
    end = _HEADER.size + size
    return bytes(data[_HEADER.size : end]) if len(data) >= end else None


def send(fd: int, obj: Any, deadline: float | None = None) -> None:
    """Pickle ``obj`` and write it as one frame."""
    write_all(fd, frame(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)), deadline)


def recv(fd: int, deadline: float | None = None) -> Any:
    """Read one frame written by trusted code and unpickle it."""
    (size,) = _HEADER.unpack(read_exact(fd, _HEADER.size, deadline))
    return pickle.loads(read_exact(fd, size, deadline))


# Plain data only: builtin containers and scalars need no globals; these add numbers,
# numpy arrays and autoloop's own dataclasses.
_SAFE_GLOBALS = frozenset(
    {
        ("builtins", "complex"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
        ("builtins", "slice"),
        ("builtins", "range"),
        ("collections", "OrderedDict"),
        ("collections", "deque"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "timedelta"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
    }
)


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS or module.startswith("numpy.dtypes"):
            return super().find_class(module, name)
        # Only modules already imported here: importing one could have side effects.
        if module.startswith("autoloop.") and module in sys.modules:
            found = super().find_class(module, name)
            if isinstance(found, type) and dataclasses.is_dataclass(found):
                return found
        raise pickle.UnpicklingError(
            f"{module}.{name} is not plain data; return builtins, numpy arrays or autoloop dataclasses"
        )


def safe_loads(data: bytes) -> Any:
    """Unpickle bytes that untrusted code produced, allowing plain data only.

    Raises:
        pickle.UnpicklingError: The bytes name a class or function outside the allow-list.
    """
    return _SafeUnpickler(io.BytesIO(data)).load()
