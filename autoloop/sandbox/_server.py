"""The sandbox server: a long-lived process that forks one confined child per call.

Started by ``Sandbox`` as ``python -m autoloop.sandbox._server``. It imports the preload
modules and the (trusted) entry modules once, so each call costs a fork, not an
interpreter start. It never runs candidate code itself and never unpickles what a child
sends back: it forwards the bytes and explains how the child ended.
"""

from __future__ import annotations

import importlib
import os
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any

from autoloop.sandbox._child import run_child
from autoloop.sandbox._guard import unprivileged_user
from autoloop.sandbox._limits import Limits
from autoloop.sandbox._wire import BASE_ENV, PRELOAD_ENV, SYSPATH_ENV, WireClosed, recv, send, unframe

MAX_RESULT_BYTES = 256 << 20
_OUTPUT_TAIL_BYTES = 4096


class Server:
    """Runs calls one at a time, each in a fresh forked child.

    Args:
        base: Directory for per-call scratch directories (the ``Sandbox`` removes it).
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.user = unprivileged_user()
        self._entries: dict[str, Callable[..., Any]] = {}

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one request ``{"entry", "args", "limits"}`` with a reply dict."""
        try:
            func = self._resolve(request["entry"])
        except Exception as exc:  # noqa: BLE001 - trusted module failed to import: report, keep serving
            return {"kind": "infra", "data": f"cannot load sandbox entry {request['entry']!r}: {exc!r}"}
        return self._run(func, request["args"], request["limits"])

    def _resolve(self, entry: str) -> Callable[..., Any]:
        if entry not in self._entries:
            module, _, name = entry.partition(":")
            self._entries[entry] = getattr(importlib.import_module(module), name)
        return self._entries[entry]

    def _run(self, func: Callable[..., Any], args_blob: bytes, limits: Limits) -> dict[str, Any]:
        scratch = tempfile.mkdtemp(prefix="call-", dir=self.base)
        if self.user is not None:
            os.chown(scratch, *self.user)
        read_fd, write_fd = os.pipe()
        with tempfile.TemporaryFile(dir=self.base) as output:
            sys.stdout.flush()
            sys.stderr.flush()
            start = time.monotonic()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                run_child(
                    func, args_blob, limits, scratch=scratch, result_fd=write_fd, output_fd=output.fileno(), user=self.user
                )
            os.close(write_fd)
            try:
                data, reason = _collect(pid, read_fd, start + limits.timeout_s, limits)
            finally:
                os.close(read_fd)
                shutil.rmtree(scratch, ignore_errors=True)
            duration = time.monotonic() - start
            output.seek(max(0, output.seek(0, os.SEEK_END) - _OUTPUT_TAIL_BYTES))
            tail = output.read().decode("utf-8", errors="replace")
        reply = {"duration_s": duration, "output": tail}
        if reason is not None:
            return reply | {"kind": "error", "data": reason}
        tag, body = data[:1], data[1:]
        if tag == b"V":
            return reply | {"kind": "value", "data": body}
        kind = "infra" if tag == b"S" else "error"
        return reply | {"kind": kind, "data": body.decode("utf-8", errors="replace")}


def _collect(pid: int, read_fd: int, deadline: float, limits: Limits) -> tuple[bytes, str | None]:
    """Read the child's result until it exits or the deadline passes; reap it.

    Returns:
        The result payload and ``None``, or ``b""`` and the reason the child failed.
    """
    pidfd = os.pidfd_open(pid)
    os.set_blocking(read_fd, False)
    buffer = bytearray()
    watch = [read_fd, pidfd]
    reason = None
    try:
        while pidfd in watch:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = f"timed out after {limits.timeout_s:g}s"
                break
            ready, _, _ = select.select(watch, [], [], left)
            if read_fd in ready and not _drain(read_fd, buffer):
                watch.remove(read_fd)
            if len(buffer) > MAX_RESULT_BYTES:
                reason = f"the result is larger than {MAX_RESULT_BYTES >> 20} MiB"
                break
            if pidfd in ready:
                watch.remove(pidfd)
                if read_fd in watch:
                    _drain(read_fd, buffer)
    finally:
        os.close(pidfd)
        _kill_group(pid)
        _, status = os.waitpid(pid, 0)
    payload = unframe(bytes(buffer))
    if reason is not None or payload:
        return payload or b"", reason
    return b"", _exit_reason(status, limits)


def _drain(fd: int, buffer: bytearray) -> bool:
    """Read what is available; False at end of file."""
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        buffer += chunk


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def _exit_reason(status: int, limits: Limits) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"CPU limit ({limits.cpu_seconds}s) exceeded"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = " (likely out of memory)" if sig == signal.SIGKILL else ""
        return f"crashed: killed by signal {name}{hint}"
    return f"exited with status {os.waitstatus_to_exitcode(status)} before returning a result"


def main() -> int:
    """Serve requests on stdin/stdout until stdin closes."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)  # stray prints from preloaded modules must not corrupt the protocol
    extra = [p for p in os.environ.get(SYSPATH_ENV, "").split(os.pathsep) if p and p not in sys.path]
    sys.path[:0] = extra
    try:
        for module in filter(None, os.environ.get(PRELOAD_ENV, "").split(",")):
            importlib.import_module(module)
    except Exception:  # noqa: BLE001 - the parent turns this into a SandboxError
        send(proto_out, {"fatal": traceback.format_exc()})
        return 1
    server = Server(os.environ[BASE_ENV])
    send(proto_out, {"ready": os.getpid(), "user": server.user})
    while True:
        try:
            request = recv(proto_in)
        except WireClosed:
            return 0
        send(proto_out, server.handle(request))


if __name__ == "__main__":
    sys.exit(main())
