"""The sandbox server: a long-lived process that forks one confined child per call.

Started by ``Sandbox`` as ``python -m autoloop.sandbox._server``. It imports the preload
modules and the (trusted) entry modules once, so each call costs a fork, not an
interpreter start. It never runs candidate code itself and never unpickles what a child
sends back: it forwards the bytes and explains how the child ended.
"""

from __future__ import annotations

import gc
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
from autoloop.sandbox._guard import probe_isolation, unprivileged_user
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
        user = unprivileged_user()
        self.isolation = probe_isolation(user)
        self.user = user if self.isolation["unprivileged_user"] else None
        self._entries: dict[str, Callable[..., Any]] = {}
        self._leftovers: list[tuple[int, str]] = []

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one request ``{"entry", "args", "limits"}`` with a reply dict."""
        try:
            func = self._resolve(request["entry"])
        except Exception as exc:  # noqa: BLE001 - trusted module failed to import: report, keep serving
            return {"kind": "infra", "data": f"cannot load sandbox entry {request['entry']!r}: {exc!r}"}
        return self._run(func, request["args"], request["limits"])

    def tidy(self) -> None:
        """Reap finished children and remove their scratch directories.

        Runs after the reply is sent, so the kernel's teardown of a large child overlaps
        with the parent reading the result instead of delaying it.
        """
        for pid, scratch in self._leftovers:
            os.waitpid(pid, 0)
            shutil.rmtree(scratch, ignore_errors=True)
        self._leftovers.clear()

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
            gc.freeze()  # keep the child's garbage collector from copying every inherited page
            start = time.monotonic()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                run_child(
                    func, args_blob, limits, scratch=scratch, result_fd=write_fd, output_fd=output.fileno(), user=self.user
                )
            os.close(write_fd)
            try:
                payload, reason = _collect(pid, read_fd, start + limits.timeout_s, limits)
            finally:
                os.close(read_fd)
                self._leftovers.append((pid, scratch))
            duration = time.monotonic() - start
            output.seek(max(0, output.seek(0, os.SEEK_END) - _OUTPUT_TAIL_BYTES))
            tail = output.read().decode("utf-8", errors="replace")
        reply = {"duration_s": duration, "output": tail}
        if reason is not None:
            return reply | {"kind": "error", "data": reason}
        tag, body = payload[:1], payload[1:]
        if tag == b"V":
            return reply | {"kind": "value", "data": body}
        kind = "infra" if tag == b"S" else "error"
        return reply | {"kind": kind, "data": body.decode("utf-8", errors="replace")}


def _collect(pid: int, read_fd: int, deadline: float, limits: Limits) -> tuple[bytes, str | None]:
    """Read the child's result frame until it is complete, the child exits or time is up.

    The child's process group is killed on return (it has nothing left to do) but not
    reaped: ``Server.tidy`` does that after the reply is sent.

    Returns:
        The result payload and ``None``, or ``b""`` and the reason the child failed.
    """
    pidfd = os.pidfd_open(pid)
    os.set_blocking(read_fd, False)
    buffer = bytearray()
    watch = [read_fd, pidfd]
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return b"", f"timed out after {limits.timeout_s:g}s"
            ready, _, _ = select.select(watch, [], [], left)
            if read_fd in ready and not _drain(read_fd, buffer):
                watch.remove(read_fd)  # closed: only the exit is left to wait for
            if pidfd in ready and read_fd in watch:
                _drain(read_fd, buffer)
            if (payload := unframe(buffer)) is not None:
                return payload, None
            if len(buffer) > MAX_RESULT_BYTES:
                return b"", f"the result is larger than {MAX_RESULT_BYTES >> 20} MiB"
            if pidfd in ready:
                return b"", _exit_reason(os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOWAIT), limits)
    finally:
        os.close(pidfd)
        _kill_group(pid)


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


def _exit_reason(info: os.waitid_result, limits: Limits) -> str:
    if info.si_code == os.CLD_EXITED:
        return f"exited with status {info.si_status} before returning a result"
    sig = info.si_status
    if sig == signal.SIGXCPU:
        return f"CPU limit ({limits.cpu_seconds}s) exceeded"
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    hint = " (likely out of memory)" if sig == signal.SIGKILL else ""
    return f"crashed: killed by signal {name}{hint}"


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
    gc.freeze()
    send(proto_out, {"ready": os.getpid(), "isolation": server.isolation})
    while True:
        try:
            request = recv(proto_in)
        except WireClosed:
            return 0
        send(proto_out, server.handle(request))
        server.tidy()


if __name__ == "__main__":
    sys.exit(main())
