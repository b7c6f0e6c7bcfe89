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
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from autoloop.sandbox._cgroup import EvaluationGroup, create_group, server_footprint
from autoloop.sandbox._child import ChildFds, Confinement, serve_one
from autoloop.sandbox._confine import claim_slot, fork_confined, probe
from autoloop.sandbox._guard import NPROC_PER_SLOT, become_subreaper
from autoloop.sandbox._limits import Limits
from autoloop.sandbox._view import child_view
from autoloop.sandbox._wire import (
    BASE_ENV,
    CHANNEL_ENV,
    HIDDEN_ENV,
    PRELOAD_ENV,
    SYSPATH_ENV,
    UNSAFE_ENV,
    WireClosed,
    WireTimeout,
    recv,
    send,
    unframe,
)

MAX_RESULT_BYTES = 256 << 20
ISOLATION_LAYERS = (
    "network_namespace",
    "unprivileged_user",
    "private_scratch",
    "mount_namespace",
    "pid_namespace",
    "no_capabilities",
    "seccomp",
    "slot_uid",
)
# Rounds of killing adopted strays: each round reaches one more generation of descendants.
_STRAY_ROUNDS = 16
_OUTPUT_TAIL_BYTES = 4096
# Longest wait for a forked child to make its output file (its set-up); past it, the call
# goes on without output and its own timeout applies.
_SETUP_TIMEOUT_S = 30.0


@dataclass
class _Spare:
    """A child forked ahead of time, confined as far as it can be before its request."""

    pid: int
    scratch: str
    request_fd: int
    result_fd: int
    output_socket: socket.socket
    entries: frozenset[str]
    disk_mb: int
    output: IO[bytes] | None = None

    def waiting(self) -> bool:
        """True while the child is alive (it is waiting for its request)."""
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def receive_output(self, deadline: float) -> None:
        """Take the child's output file (made in its scratch once it is set up), waiting until ``deadline``."""
        self.output_socket.settimeout(max(deadline - time.monotonic(), 0.001))
        # Died or stuck before making it (a setup failure, reported through the result pipe): no output.
        with contextlib.suppress(OSError):
            _message, fds, _flags, _address = socket.recv_fds(self.output_socket, 1, 1)
            if fds:
                self.output = open(fds[0], "rb")  # noqa: SIM115 - release() closes it

    def output_size(self) -> int:
        """Bytes the child printed (stdout and stderr)."""
        return 0 if self.output is None else os.fstat(self.output.fileno()).st_size

    def scratch_full(self) -> bool:
        """True when the file system holding the output (the scratch tmpfs, when confined) has no room left."""
        return self.output is not None and os.fstatvfs(self.output.fileno()).f_bavail == 0

    def release(self) -> None:
        """Kill the child and its group and free what it used; reaping is left to the caller."""
        _kill_group(self.pid)
        os.close(self.request_fd)
        os.close(self.result_fd)
        self.output_socket.close()
        if self.output is not None:
            self.output.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class Server:
    """Runs calls one at a time, each in a fresh forked child.

    Args:
        base: Directory for per-call scratch directories (the ``Sandbox`` removes it).
        channel: The child ends ``(read_fd, write_fd)`` of the session channel, which every
            child inherits (see ``Sandbox.session``).
        confine: Confine children with the kernel (see ``_confine``); False only for
            the explicit unsafe development mode.
    """

    def __init__(self, base: str, channel: tuple[int, int], *, confine: bool) -> None:
        self.base = base
        self.channel = channel
        self.confinement: Confinement | None = None
        self._group: EvaluationGroup | None = None  # caps an evaluation's processes together, where the kernel can
        self._capped: tuple[int, int] | None = None  # (memory_mb, disk_mb) the group is capped for
        self._oom_kills = 0  # the group's out-of-memory kills when a crash was last looked at
        self.refusal: str | None = "the unsafe development mode was asked for" if not confine else None
        if confine and os.geteuid() != 0:
            self.refusal = (
                f"the worker runs as uid {os.geteuid()}, not root, so it cannot give each child its own "
                "namespaces, uid and an empty capability set"
            )
        elif confine:
            try:
                slot = claim_slot()
                self.refusal = probe(base, slot)
            except OSError as exc:
                self.refusal = str(exc)
            if self.refusal is None:
                self._slot = slot  # held (locked) for the server's life
                self.confinement = Confinement(slot.uid, ())
                self._group = create_group(f"slot-{slot.uid}")
                self._oom_kills = self._group.oom_kills() if self._group is not None else 0
        self._disk_mb = Limits().disk_mb
        self._entries: dict[str, Callable[..., Any]] = {}
        self._hidden = tuple(os.environ.get(HIDDEN_ENV, "").split(os.pathsep))
        self._update_view()
        self._spare: _Spare | None = None
        self._used: list[_Spare] = []
        self._dying: set[int] = set()  # killed, not yet reaped: the kernel is tearing them down

    @property
    def isolation(self) -> dict[str, bool]:
        """Which kernel layers children get (all or none: there is no partial confinement)."""
        confined = self.confinement is not None
        return dict.fromkeys(ISOLATION_LAYERS, confined)

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
        self._cap(limits)
        start = time.monotonic()
        with contextlib.suppress(WireClosed, WireTimeout):  # gone or stuck: _collect says how it ended
            send(child.request_fd, request, start + limits.timeout_s)
        payload, reason = _collect(child.pid, child.result_fd, start + limits.timeout_s, limits)
        if reason is not None and self._out_of_memory():
            reason = (
                f"out of memory: the evaluation's processes together exceeded {limits.memory_mb + limits.disk_mb} MiB "
                "(Limits.memory_mb plus the scratch disk, Limits.disk_mb)"
            )
        reply = {"duration_s": time.monotonic() - start, "output": _tail(child.output)}
        tag, body = payload[:1], payload[1:]
        if tag == b"V":
            return reply | {"kind": "value", "data": body}
        if tag == b"S":
            return reply | {"kind": "infra", "data": body.decode("utf-8", errors="replace")}
        reason = reason or body.decode("utf-8", errors="replace")
        if child.output_size() >= limits.file_mb << 20:
            # Whatever the child reported then (a failed print, a lost traceback) stems from this.
            reason = f"output exceeded {limits.file_mb} MiB (stdout and stderr together; Limits.file_mb)"
        elif self.confinement is not None and child.scratch_full():  # the child's own tmpfs
            reason += f" (the {limits.disk_mb} MiB scratch disk is full: files and printed output count against Limits.disk_mb)"
        return reply | {"kind": "error", "data": reason}

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
        if self._group is not None:
            self._group.remove()

    def _cap(self, limits: Limits) -> None:
        """Cap the evaluation's processes together (written only when the limits change: no cost per call)."""
        wanted = (limits.memory_mb, limits.disk_mb)
        if self._group is None or self._capped == wanted:
            return
        # What the child may copy of the preloaded image, plus its own allocations and its scratch tmpfs.
        memory = server_footprint() + ((limits.memory_mb + limits.disk_mb) << 20)
        self._group.cap(memory_bytes=memory, processes=NPROC_PER_SLOT)
        self._capped = wanted

    def _out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the group for memory since the last crash looked at."""
        if self._group is None:
            return False
        kills, self._oom_kills = self._oom_kills, self._group.oom_kills()
        return self._oom_kills > kills

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
            self._update_view()
            self._capped = None  # the image grew: cap again from its new size
        return self._entries[entry]

    def _update_view(self) -> None:
        """Show children the allow-listed view, with the packages of every module imported for callers."""
        if self.confinement is not None:
            modules = [*_preloads(), *(entry.partition(":")[0] for entry in self._entries)]
            self.confinement = Confinement(self.confinement.uid, child_view(modules=modules, hidden=self._hidden))

    def _fork(self) -> _Spare:
        scratch = tempfile.mkdtemp(prefix="call-", dir=self.base)
        result_read, result_write = os.pipe()
        request_read, request_write = os.pipe()
        output_socket, child_socket = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # keep the child's garbage collector from copying every inherited page
        pid = os.fork() if self.confinement is None else fork_confined()
        if pid == 0:
            serve_one(
                self._entries,
                scratch=scratch,
                fds=ChildFds(request=request_read, result=result_write, output_socket=child_socket.fileno(), channel=self.channel),
                confinement=self.confinement,
                disk_mb=self._disk_mb,
            )
        # The child makes itself a group leader too; doing it here as well means the group
        # exists before anyone can try to kill it.
        with contextlib.suppress(ProcessLookupError):
            os.setpgid(pid, pid)
            if self._group is not None:  # before its request arrives, so all it starts is capped too
                self._group.add(pid)
        os.close(result_write)
        os.close(request_read)
        child_socket.close()
        os.set_blocking(request_write, False)
        spare = _Spare(pid, scratch, request_write, result_read, output_socket, frozenset(self._entries), self._disk_mb)
        # Waits for the child's set-up, which a request would wait for anyway; done here, a
        # spare forked between calls has its output file before the next request arrives.
        spare.receive_output(time.monotonic() + _SETUP_TIMEOUT_S)
        return spare


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


def _tail(output: IO[bytes] | None) -> str:
    if output is None:
        return ""
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
                return b"", _exit_reason(pid, os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOWAIT), limits)
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


def _exit_reason(pid: int, info: os.waitid_result, limits: Limits) -> str:
    if info.si_code == os.CLD_EXITED:
        return f"exited with status {info.si_status} before returning a result"
    sig = info.si_status
    # A confined child is the init of its pid namespace, which ignores the soft limit's
    # SIGXCPU: the kernel's SIGKILL at the hard limit (one second later) ends it instead.
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and _cpu_seconds(pid) >= limits.cpu_seconds):
        return f"CPU limit ({limits.cpu_seconds}s) exceeded"
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    hint = " (out of memory, CPU hard limit, or killed from outside)" if sig == signal.SIGKILL else ""
    return f"crashed: killed by signal {name}{hint}"


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a child that exited but is not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _preloads() -> list[str]:
    return list(filter(None, os.environ.get(PRELOAD_ENV, "").split(",")))


def main() -> int:
    """Serve requests on stdin/stdout until stdin closes."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)  # stray prints from preloaded modules must not corrupt the protocol
    extra = [p for p in os.environ.get(SYSPATH_ENV, "").split(os.pathsep) if p and p not in sys.path]
    sys.path[:0] = extra
    try:
        for module in _preloads():
            importlib.import_module(module)
    except Exception:  # noqa: BLE001 - the parent turns this into a SandboxError
        send(proto_out, {"fatal": traceback.format_exc()})
        return 1
    become_subreaper()
    down_read, up_write = (int(fd) for fd in os.environ[CHANNEL_ENV].split(","))
    server = Server(os.environ[BASE_ENV], (down_read, up_write), confine=os.environ.get(UNSAFE_ENV) != "1")
    gc.freeze()
    send(proto_out, {"ready": os.getpid(), "isolation": server.isolation, "refusal": server.refusal})
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
