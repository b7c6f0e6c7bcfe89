"""``Sandbox``: the parent-side handle on a sandbox server process."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar

from autoloop.errors import ConfinementError, SandboxError
from autoloop.sandbox._guard import current_cpu
from autoloop.sandbox._limits import Limits, Outcome
from autoloop.sandbox._session import Session
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
    safe_loads,
    send,
)

logger = logging.getLogger(__name__)

_ENTRY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_ENV_KEEP = ("PATH", "LANG", "TZ")
# Single-threaded BLAS/OpenMP so forking after importing numpy is safe; joblib runs
# n_jobs=-1 sequentially instead of starting worker processes the sandbox refuses.
_SERVER_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "JOBLIB_MULTIPROCESSING": "0",
}
# Service state and task data: never shown to a child, even where an allow-listed path holds them.
_HIDDEN_DEFAULTS = ("AUTOLOOP_HOME", "AUTOLOOP_SHARED_DATA")
# The server needs this long on top of the candidate's timeout to import an entry module.
_GRACE_S = 60.0
_STOP_TIMEOUT_S = 5.0


class _ServerProcess:
    """One running server and the pipes to it."""

    def __init__(self, base: str, preload: tuple[str, ...], start_timeout_s: float) -> None:
        env = {key: os.environ[key] for key in _ENV_KEEP if key in os.environ}
        env |= _SERVER_ENV
        env[SYSPATH_ENV] = os.pathsep.join(os.path.abspath(p or os.curdir) for p in sys.path)
        env[BASE_ENV] = base
        env[PRELOAD_ENV] = ",".join(preload)
        hidden = [os.environ[key] for key in _HIDDEN_DEFAULTS if os.environ.get(key)]
        env[HIDDEN_ENV] = os.pathsep.join([*hidden, os.path.expanduser("~/.local/share/autoloop")])
        self.unsafe = os.environ.get(UNSAFE_ENV) == "1"  # read per server start, never at import
        if self.unsafe:
            env[UNSAFE_ENV] = "1"
        # The session channel: children inherit (down_read, up_write) through the server;
        # this process keeps (down_write, up_read) and talks to the child without a relay.
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        env[CHANNEL_ENV] = f"{down_read},{up_write}"
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "autoloop.sandbox._server"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                start_new_session=True,
                pass_fds=(down_read, up_write),
            )
        finally:
            os.close(down_read)
            os.close(up_write)
        self.channel = (down_write, up_read)
        for fd in self.channel:
            os.set_blocking(fd, False)
        self._pipes = (self.proc.stdin, self.proc.stdout)
        self.send_fd, self.recv_fd = (pipe.fileno() for pipe in self._pipes if pipe is not None)
        os.set_blocking(self.send_fd, False)
        try:
            hello = recv(self.recv_fd, time.monotonic() + start_timeout_s)
        except (WireClosed, WireTimeout) as exc:
            self.kill()
            raise SandboxError(
                f"the sandbox server did not start within {start_timeout_s:g}s ({exc}); see its stderr above"
            ) from exc
        if "fatal" in hello:
            self.kill()
            raise SandboxError(
                f"the sandbox server could not preload {preload}; fix the module names:\n{hello['fatal']}"
            )
        self.pid: int = hello["ready"]
        self.isolation: dict[str, bool] = hello["isolation"]
        if hello["refusal"] is not None and not self.unsafe:
            self.kill()
            raise ConfinementError(
                f"the sandbox cannot confine candidate code here ({hello['refusal']}), so it will not run it. "
                "Run the worker as root: on the host, or in a container started with --user root --cap-add "
                "SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined (the README's "
                f"Sandbox section says why). For development only, set {UNSAFE_ENV}=1 to run candidates without "
                "kernel confinement"
            )

    def kill(self) -> None:
        self.proc.kill()
        self._reap()

    def forget(self) -> None:
        """In a forked copy of the owner: close our copies of the pipes, touch nothing else."""
        for pipe in self._pipes:
            if pipe is not None:
                pipe.close()
        self._close_channel()

    def stop(self) -> None:
        """Ask the server to exit (it does at end of input), kill it if it does not."""
        self._pipes[0].close()  # type: ignore[union-attr] - created with PIPE
        try:
            self.proc.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        self.proc.wait()
        for pipe in self._pipes:
            if pipe is not None and not pipe.closed:
                pipe.close()
        self._close_channel()

    def _close_channel(self) -> None:
        for fd in self.channel:
            with contextlib.suppress(OSError):  # already closed by an earlier kill or stop
                os.close(fd)
        self.channel = (-1, -1)


class _State:
    """What ``close`` (or the finalizer, if ``close`` was never called) must release."""

    live: ClassVar[weakref.WeakSet[_State]] = weakref.WeakSet()
    fork_hook_installed: ClassVar[bool] = False

    def __init__(self) -> None:
        if not _State.fork_hook_installed:
            os.register_at_fork(after_in_child=_State.forget_inherited)
            _State.fork_hook_installed = True
        _State.live.add(self)
        self.owner = os.getpid()
        self.base = tempfile.mkdtemp(prefix="autoloop-sandbox-")
        os.chmod(self.base, 0o711)  # an unprivileged child must reach its scratch dir inside
        self.server: _ServerProcess | None = None

    @staticmethod
    def forget_inherited() -> None:
        """After a fork, in the child: drop the pipes to the parent's servers.

        Otherwise a forked process that outlives its parent (an RQ work horse) would keep
        a server from ever seeing the end of its input.
        """
        for state in list(_State.live):
            if state.server is not None:
                state.server.forget()
                state.server = None

    def shutdown(self) -> None:
        if os.getpid() != self.owner:
            return  # a forked copy of the owner: the server and directories are not ours
        if self.server is not None:
            self.server.stop()
            self.server = None
        shutil.rmtree(self.base, ignore_errors=True)


class Sandbox:
    """Runs trusted entry functions, which run candidate code, in confined child processes.

    One server process imports ``preload`` once; every ``call`` forks a fresh child with a
    wall-clock timeout, memory, CPU and file-size limits, confined by the kernel (own
    namespaces, a read-only root with only the Python installation, a private scratch
    tmpfs as working directory, a uid of this sandbox's own, no capabilities, a seccomp
    filter; see ``autoloop.sandbox``). Output beyond ``Limits.file_mb`` ends the call as
    ``"output exceeded N MiB"``. A
    candidate failure is returned as ``Outcome(ok=False, error=...)``; it never raises
    here and never harms this process. Calls are serialized; use several sandboxes for
    parallel evaluations. The server imports entry modules through this process's
    ``sys.path``. A forked copy of this process (an RQ work horse) transparently gets
    its own server on its first call.

    Args:
        limits: Default limits for each call.
        preload: Modules the server imports once, before forking (e.g. ``"sklearn.ensemble"``).
        start_timeout_s: How long the server may take to start and import ``preload``.

    Raises:
        ConfinementError: The kernel cannot confine children here (see the message for
            how to run) and ``AUTOLOOP_UNSAFE_SANDBOX=1`` is not set.
        SandboxError: The server could not start or import ``preload``.

    Example:
        >>> with Sandbox(limits=Limits(timeout_s=10), preload=("numpy",)) as sb:
        ...     out = sb.call("autoloop.tasks.mlpipeline._runner:fit_and_predict", source, payload)
        ...     predictions = out.value if out.ok else None
    """

    def __init__(
        self, limits: Limits | None = None, preload: Sequence[str] = (), *, start_timeout_s: float = 120.0
    ) -> None:
        if isinstance(preload, str) or not all(isinstance(m, str) and m for m in preload):
            raise ValueError(f"preload must be a sequence of module names, got {preload=}")
        self.limits = limits or Limits()
        self.preload = tuple(preload)
        self._start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._state = _State()
        self._finalizer = weakref.finalize(self, self._state.shutdown)
        self._server()

    @property
    def server_pid(self) -> int | None:
        """The pid of the current server process (``None`` before a restart starts it)."""
        return None if self._state.server is None else self._state.server.pid

    @property
    def isolation(self) -> dict[str, bool]:
        """Which kernel layers children get here, beyond rlimits and the audit hook.

        All ``True`` (``network_namespace``, ``unprivileged_user``, ``private_scratch``,
        ``mount_namespace``, ``pid_namespace``, ``no_capabilities``, ``seccomp``,
        ``slot_uid``), or all ``False`` in the unsafe development mode
        (``AUTOLOOP_UNSAFE_SANDBOX=1``): confinement is never partial.
        """
        return dict(self._server().isolation)

    def call(self, entry: str, /, *args: Any, limits: Limits | None = None) -> Outcome:
        """Run ``entry(*args)`` in a fresh confined child.

        Args:
            entry: ``"module:function"`` naming trusted code; it usually calls
                ``exec_candidate(source)`` and returns plain data (builtins, numpy arrays,
                autoloop dataclasses).
            *args: Picklable arguments for the entry function.
            limits: Limits for this call instead of the sandbox's default.

        Returns:
            The outcome: the value, or why the evaluation failed.

        Raises:
            SandboxError: The sandbox is closed, the entry cannot be imported, or the
                server cannot start.
        """
        if not _ENTRY.match(entry):
            raise ValueError(f"entry must look like 'package.module:function', got {entry=}")
        limits = limits or self.limits
        request = {"entry": entry, "args": pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL), "limits": limits}
        with self._lock:
            server = self._server()
            if server.unsafe:
                logger.warning(
                    "%s=1: running %s without kernel confinement (development only; candidate code can read "
                    "and change what this user can)",
                    UNSAFE_ENV,
                    entry,
                )
            start = time.monotonic()
            try:
                send(server.send_fd, request, start + limits.timeout_s + _GRACE_S)
                reply = recv(server.recv_fd, start + limits.timeout_s + _GRACE_S)
            except BaseException as exc:
                # Whatever interrupted us (a dead server, a timeout, KeyboardInterrupt) left
                # the protocol mid-frame: this server cannot be trusted with another call.
                server.kill()
                self._state.server = None
                if not isinstance(exc, (WireClosed, WireTimeout)):
                    raise
                what = "stopped responding" if isinstance(exc, WireTimeout) else "died"
                return Outcome(
                    ok=False,
                    error=f"the sandbox server {what} during the evaluation; it restarts for the next call",
                    duration_s=time.monotonic() - start,
                )
        return _outcome(reply)

    def session(self, entry: str, /, *args: Any, limits: Limits | None = None) -> Session:
        """Start ``entry(channel, *args)`` in a fresh confined child and talk to it step by step.

        For loops that must stay on the trusted side (an emulator, the reward accounting)
        but ask candidate code for a decision at every step: ``Session.exchange`` sends a
        message and returns the child's answer, directly over a pipe (no relay through the
        server). The child's ``channel`` (a ``Channel``) receives those messages and sends
        the answers. The sandbox serves nothing else until the session is closed; the
        limits cover the whole session.

        Args:
            entry: ``"module:function"`` naming trusted code that takes the channel first.
            *args: Picklable arguments for the entry function, after the channel.
            limits: Limits for this session instead of the sandbox's default.

        Returns:
            The open session; close it (or use it as a context manager) to get the outcome.

        Raises:
            SandboxError: As for ``call``.

        Example:
            >>> with sb.session("mypkg.entries:serve", source) as session:
            ...     answer = session.exchange(b"question")
            >>> session.outcome.ok
        """
        if not _ENTRY.match(entry):
            raise ValueError(f"entry must look like 'package.module:function', got {entry=}")
        limits = limits or self.limits
        token = secrets.randbits(64)
        # Parent and child take turns, never run at once: on one CPU each hand-off is a
        # direct switch instead of a cross-CPU wake-up (about 0.7 -> 0.9 of raw Atari
        # stepping on a busy 2-CPU machine). This thread is unpinned when the session ends.
        affinity = os.sched_getaffinity(0)
        cpu = current_cpu()
        pinned = cpu in affinity and len(affinity) > 1
        request = {
            "entry": entry,
            "args": pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL),
            "limits": limits,
            "session": token,
            "cpu": cpu if pinned else None,
        }
        self._lock.acquire()
        try:
            server = self._server()
            start = time.monotonic()
            deadline = start + limits.timeout_s + _GRACE_S
            send(server.send_fd, request, deadline)
        except (WireClosed, WireTimeout):
            try:
                return Session.ended(self._forget(server, start, "the sandbox server died before the session started"))
            finally:
                self._lock.release()
        except BaseException:
            self._lock.release()
            raise

        if pinned:
            with contextlib.suppress(OSError):  # only a speed-up
                os.sched_setaffinity(0, {cpu})

        def finish(reply: dict[str, Any] | None, reason: str) -> Outcome:
            try:
                if pinned:
                    os.sched_setaffinity(0, affinity)
                if reply is None:
                    return self._forget(server, start, f"{reason}; the sandbox server restarts for the next call")
                outcome = _outcome(reply)
                return Outcome(ok=False, error=reason, duration_s=outcome.duration_s, output=outcome.output) if reason else outcome
            finally:
                self._lock.release()

        return Session(server.channel, server.recv_fd, token, deadline, finish)

    def _forget(self, server: _ServerProcess, start: float, error: str) -> Outcome:
        """Kill a server left mid-protocol; the failed outcome of the evaluation it was running."""
        server.kill()
        self._state.server = None
        return Outcome(ok=False, error=error, duration_s=time.monotonic() - start)

    def close(self) -> None:
        """Stop the server and remove every scratch directory. Idempotent."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _server(self) -> _ServerProcess:
        if not self._finalizer.alive:
            raise SandboxError("this Sandbox is closed; create a new one")
        if self._state.owner != os.getpid():
            # This process is a fork of the one that made the sandbox (e.g. an RQ work
            # horse): the inherited server belongs to the parent, so start our own.
            self._state = _State()
            self._finalizer = weakref.finalize(self, self._state.shutdown)
        server = self._state.server
        if server is not None and server.proc.poll() is not None:
            server.kill()  # died between calls: reap it and start afresh
            server = None
        if server is None:
            server = self._state.server = _ServerProcess(self._state.base, self.preload, self._start_timeout_s)
        return server


def _outcome(reply: dict[str, Any]) -> Outcome:
    kind, data = reply["kind"], reply["data"]
    if kind == "infra":
        raise SandboxError(data)
    common = {"duration_s": reply["duration_s"], "output": reply["output"]}
    if kind == "error":
        return Outcome(ok=False, error=data, **common)
    try:
        value = safe_loads(data)
    except Exception as exc:  # noqa: BLE001 - candidate-controlled bytes can fail the unpickler in any way
        return Outcome(ok=False, error=f"the evaluation returned data the sandbox will not unpickle: {exc}", **common)
    return Outcome(ok=True, value=value, **common)
