"""The sandbox server: a long-lived process that forks one confined child per call.

Started by ``Sandbox`` as ``python -m autoloop.sandbox._server``. It imports the preload
modules and the (trusted) entry modules once, so each call costs a fork, not an
interpreter start; and it forks the next child (a "spare") right after answering, so
the fork usually happens while the caller is busy with the previous result. It never
runs candidate code itself and never unpickles what a child sends back: it forwards the
bytes and explains how the child ended.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass
from typing import IO, Any

from autoloop.sandbox._child import serve_one
from autoloop.sandbox._guard import become_subreaper, probe_isolation, unprivileged_user
from autoloop.sandbox._limits import Limits
from autoloop.sandbox._wire import (
    BASE_ENV,
    CHANNEL_ENV,
    PRELOAD_ENV,
    SYSPATH_ENV,
    WireClosed,
    WireTimeout,
    recv,
    send,
    unframe,
)

MAX_RESULT_BYTES = 256 << 20
# Rounds of killing adopted strays: each round reaches one more generation of descendants.
_STRAY_ROUNDS = 16
_OUTPUT_TAIL_BYTES = 4096


@dataclass
class _Spare:
    """A child forked ahead of time, confined as far as it can be before its request."""

    pid: int
    scratch: str
    request_fd: int
    result_fd: int
    output: IO[bytes]
    entries: frozenset[str]
    disk_mb: int

    def waiting(self) -> bool:
        """True while the child is alive (it is waiting for its request)."""
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def release(self) -> None:
        """Kill the child and its group and free what it used; reaping is left to the caller."""
        _kill_group(self.pid)
        os.close(self.request_fd)
        os.close(self.result_fd)
        self.output.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class Server:
    """Runs calls one at a time, each in a fresh forked child.

    Args:
        base: Directory for per-call scratch directories (the ``Sandbox`` removes it).
        channel: The child ends ``(read_fd, write_fd)`` of the session channel, which every
            child inherits (see ``Sandbox.session``).
    """

    def __init__(self, base: str, channel: tuple[int, int]) -> None:
        self.base = base
        self.channel = channel
        user = unprivileged_user()
        probe = tempfile.mkdtemp(prefix="probe-", dir=base)
        self.isolation = probe_isolation(user, probe)
        os.rmdir(probe)
        self.user = user if self.isolation["unprivileged_user"] else None
        self._disk_mb = Limits().disk_mb
        self._entries: dict[str, Callable[..., Any]] = {}
        self._spare: _Spare | None = None
        self._used: list[_Spare] = []
        self._dying: set[int] = set()  # killed, not yet reaped: the kernel is tearing them down

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one request ``{"entry", "args", "limits"}`` (and ``"session"``) with a reply dict."""
        entry, limits = request["entry"], request["limits"]
        try:
            self._resolve(entry)
        except Exception as exc:  # noqa: BLE001 - trusted module failed to import: report, keep serving
            return {"kind": "infra", "data": f"cannot load sandbox entry {entry!r}: {exc!r}"}
        child, self._spare = self._spare, None
        self._disk_mb = limits.disk_mb
        if child is None or entry not in child.entries or child.disk_mb != limits.disk_mb or not child.waiting():
            self._discard(child)  # gone, forked before the entry was imported, or wrong scratch size
            child = self._fork()
        self._used.append(child)
        start = time.monotonic()
        with contextlib.suppress(WireClosed, WireTimeout):  # gone or stuck: _collect says how it ended
            send(child.request_fd, request, start + limits.timeout_s)
        payload, reason = _collect(child.pid, child.result_fd, start + limits.timeout_s, limits)
        reply = {"duration_s": time.monotonic() - start, "output": _tail(child.output)}
        if reason is not None:
            return reply | {"kind": "error", "data": reason}
        tag, body = payload[:1], payload[1:]
        if tag == b"V":
            return reply | {"kind": "value", "data": body}
        kind = "infra" if tag == b"S" else "error"
        return reply | {"kind": kind, "data": body.decode("utf-8", errors="replace")}

    def tidy(self) -> None:
        """Kill used children and fork the next spare, while the parent reads the reply."""
        self._release_used()
        self._dying -= {pid for pid in self._dying if os.waitpid(pid, os.WNOHANG)[0]}
        if self._spare is None:
            _kill_strays(known=self._dying)
            self._spare = self._fork()

    def close(self) -> None:
        """Kill and reap every child."""
        self._discard(self._spare)
        self._spare = None
        self._release_used()
        for pid in self._dying:
            os.waitpid(pid, 0)
        self._dying.clear()

    def _release_used(self) -> None:
        for child in self._used:
            child.release()
            self._dying.add(child.pid)
        self._used.clear()

    def _discard(self, child: _Spare | None) -> None:
        if child is not None:
            _kill_group(child.pid)
            self._used.append(child)

    def _resolve(self, entry: str) -> Callable[..., Any]:
        if entry not in self._entries:
            module, _, name = entry.partition(":")
            self._entries[entry] = getattr(importlib.import_module(module), name)
        return self._entries[entry]

    def _fork(self) -> _Spare:
        scratch = tempfile.mkdtemp(prefix="call-", dir=self.base)
        if self.user is not None:
            os.chown(scratch, *self.user)
        result_read, result_write = os.pipe()
        request_read, request_write = os.pipe()
        output = tempfile.TemporaryFile(dir=self.base)  # noqa: SIM115 - the child writes to it; _Spare closes it
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # keep the child's garbage collector from copying every inherited page
        pid = os.fork()
        if pid == 0:
            serve_one(
                self._entries,
                scratch=scratch,
                request_fd=request_read,
                result_fd=result_write,
                output_fd=output.fileno(),
                channel=self.channel,
                user=self.user,
                disk_mb=self._disk_mb,
            )
        # The child makes itself a group leader too; doing it here as well means the group
        # exists before anyone can try to kill it.
        with contextlib.suppress(ProcessLookupError):
            os.setpgid(pid, pid)
        os.close(result_write)
        os.close(request_read)
        os.set_blocking(request_write, False)
        return _Spare(pid, scratch, request_write, result_read, output, frozenset(self._entries), self._disk_mb)


def _kill_strays(known: set[int]) -> None:
    """Kill and reap every child we did not fork ourselves.

    The server is a subreaper: a process a candidate started (through ``ctypes``, past
    the audit hook) and moved out of its process group is adopted by the server when
    its parent dies. Called when the server's only children are the ``known`` dying ones.
    """
    children = f"/proc/self/task/{os.getpid()}/children"
    for _ in range(_STRAY_ROUNDS):
        try:
            with open(children) as listing:
                strays = [int(pid) for pid in listing.read().split() if int(pid) not in known]
        except FileNotFoundError:
            return  # kernel without /proc/<pid>/task/<tid>/children: rely on the group kill
        if not strays:
            return
        for pid in strays:
            _kill_group(pid)
        for pid in strays:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _tail(output: IO[bytes]) -> str:
    output.seek(max(0, output.seek(0, os.SEEK_END) - _OUTPUT_TAIL_BYTES))
    return output.read().decode("utf-8", errors="replace")


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
    """Kill a child (a group leader) and anything it started."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            kill(pid, signal.SIGKILL)


def _exit_reason(info: os.waitid_result, limits: Limits) -> str:
    if info.si_code == os.CLD_EXITED:
        return f"exited with status {info.si_status} before returning a result"
    sig = info.si_status
    if sig == signal.SIGXCPU:
        return f"CPU limit ({limits.cpu_seconds}s) exceeded"
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    hint = " (out of memory, CPU hard limit, or killed from outside)" if sig == signal.SIGKILL else ""
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
    become_subreaper()
    down_read, up_write = (int(fd) for fd in os.environ[CHANNEL_ENV].split(","))
    server = Server(os.environ[BASE_ENV], (down_read, up_write))
    gc.freeze()
    send(proto_out, {"ready": os.getpid(), "isolation": server.isolation})
    while True:
        server.tidy()
        try:
            send(proto_out, server.handle(recv(proto_in)))
        except WireClosed:  # every Sandbox holding our pipes closed it or died
            server.close()
            shutil.rmtree(server.base, ignore_errors=True)
            return 0


if __name__ == "__main__":
    sys.exit(main())
