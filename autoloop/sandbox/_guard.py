"""Confinement of a sandboxed child: kernel limits first, an audit hook on top.

The kernel layers (rlimits, a private network namespace, an unprivileged user, death
with the server) hold even against code that calls libc through ``ctypes``; the audit
hook turns the common cases (sockets, subprocesses, writes outside the scratch
directory) into clear ``PermissionError``s the candidate sees at the offending line.
"""

from __future__ import annotations

import _posixsubprocess
import ctypes
import os
import pwd
import resource
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from autoloop.sandbox._limits import Limits

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1
_PR_SET_KEEPCAPS = 8
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36
_CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522
_NPROC_WHEN_DROPPED = 512

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def unprivileged_user() -> tuple[int, int] | None:
    """``(uid, gid)`` of ``nobody`` when running as root (children drop to it), else ``None``."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def isolate_network() -> bool:
    """Move this process into an empty network namespace; False when the kernel refuses."""
    if _libc.unshare(_CLONE_NEWNET) == 0:
        return True
    return os.geteuid() != 0 and _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


def private_scratch(scratch: str, size_mb: int, user: tuple[int, int]) -> bool:
    """Mount a ``size_mb`` tmpfs owned by ``user`` on ``scratch``, seen by this process only.

    A full scratch directory then fails writes with ``ENOSPC`` instead of filling the
    host's disk. Needs root; False when the kernel refuses.
    """
    if _libc.unshare(_CLONE_NEWNS) != 0:
        return False
    # Private propagation first, so the mount never shows up in the server's namespace.
    if _libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return False
    options = f"size={size_mb}m,mode=0700,uid={user[0]},gid={user[1]}".encode()
    return _libc.mount(b"tmpfs", os.fsencode(scratch), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) == 0


def drop_privileges(uid: int, gid: int) -> bool:
    """Become ``uid``/``gid``, keeping only the capability to read (not write) any file.

    Reading is kept so lazy imports from a root-only Python install still work; writes
    outside the scratch directory (owned by ``uid``) are refused by the kernel.
    """
    _libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    keep = 1 << _CAP_DAC_READ_SEARCH
    data = (_CapData * 2)(_CapData(keep, keep, 0), _CapData(0, 0, 0))
    return _libc.capset(ctypes.byref(header), data) == 0


def probe_isolation(user: tuple[int, int] | None, scratch: str) -> dict[str, bool]:
    """Which kernel layers a child actually gets here, tried once in a throwaway child.

    Args:
        user: Who children would run as (``None``: as this user).
        scratch: An empty directory the probe may mount over (privately).
    """
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            code |= 1 if isolate_network() else 0
            code |= 4 if user is not None and private_scratch(scratch, 1, user) else 0
            code |= 2 if user is not None and drop_privileges(*user) else 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = max(0, os.waitstatus_to_exitcode(status))
    return {"network_namespace": bool(code & 1), "unprivileged_user": bool(code & 2), "private_scratch": bool(code & 4)}


def current_cpu() -> int:
    """The CPU this thread is running on now (-1 if the C library cannot tell)."""
    return int(_libc.sched_getcpu())


def become_subreaper() -> bool:
    """Adopt orphaned descendants, so processes a child started and detached come back to us."""
    return _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def tie_to_parent() -> None:
    """Make the kernel kill this process when its parent dies; forbid gaining privileges.

    Call after ``drop_privileges``: changing credentials clears the parent-death signal.
    """
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def apply_limits(limits: Limits, *, dropped: bool) -> None:
    """Set the rlimits of one evaluation (memory on top of what is mapped now)."""
    cpu = limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + (limits.memory_mb << 20),) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if dropped:
        resource.setrlimit(resource.RLIMIT_NPROC, (_NPROC_WHEN_DROPPED,) * 2)


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


_PROCESS_EVENTS = frozenset(
    {"os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen", "pty.spawn"}
)
_NETWORK_EVENTS = frozenset(
    {"socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo", "socket.gethostbyname"}
)
# event -> ((index of a path argument, index of its dir_fd argument or None), ...)
_PATH_EVENTS: dict[str, tuple[tuple[int, int | None], ...]] = {
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.utime": ((0, 3),),
    "os.rename": ((0, 2), (1, 3)),
    "os.link": ((0, 2), (1, 3)),
    "os.symlink": ((1, 2),),
    "os.truncate": ((0, None),),
    "os.chflags": ((0, None),),
    "os.lchflags": ((0, None),),
    "os.setxattr": ((0, None),),
    "os.removexattr": ((0, None),),
    "shutil.rmtree": ((0, 1),),
    "sqlite3.connect": ((0, None),),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_ALWAYS_WRITABLE = frozenset({os.devnull, ":memory:", ""})


class ScratchPolicy:
    """An audit hook confining writes to ``scratch`` and refusing sockets and subprocesses."""

    def __init__(self, scratch: str) -> None:
        self.scratch = os.path.realpath(scratch)
        self._handlers: dict[str, Callable[[str, tuple[Any, ...]], None]] = {"open": self._open}
        self._handlers.update(dict.fromkeys(_PROCESS_EVENTS, self._deny_process))
        self._handlers.update(dict.fromkeys(_NETWORK_EVENTS, self._deny_network))
        self._handlers.update(dict.fromkeys(_PATH_EVENTS, self._paths))
        self._handlers.update({"os.kill": self._kill, "os.killpg": self._kill})

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        handler = self._handlers.get(event)
        if handler is not None:
            handler(event, args)

    def install(self) -> None:
        """Install the hook for the rest of this process's life (hooks cannot be removed)."""
        sys.addaudithook(self)
        # multiprocessing and loky start interpreters through this, with no audit event;
        # they would run without the hook.
        _posixsubprocess.fork_exec = self._refuse_fork_exec

    def _refuse_fork_exec(self, *args: Any) -> NoReturn:
        self._deny_process("_posixsubprocess.fork_exec", args)

    def _deny_process(self, event: str, args: tuple[Any, ...]) -> NoReturn:
        raise PermissionError(f"starting processes is not allowed in the sandbox ({event})")

    def _deny_network(self, event: str, args: tuple[Any, ...]) -> None:
        raise PermissionError(f"network access is not allowed in the sandbox ({event})")

    def _kill(self, event: str, args: tuple[Any, ...]) -> None:
        if args[0] not in (0, os.getpid(), os.getpgrp()):
            raise PermissionError(f"signalling other processes is not allowed in the sandbox ({event}{args!r})")

    def _open(self, event: str, args: tuple[Any, ...]) -> None:
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing:
            self._require_inside(event, path, None)

    def _paths(self, event: str, args: tuple[Any, ...]) -> None:
        for path_at, dir_fd_at in _PATH_EVENTS[event]:
            dir_fd = args[dir_fd_at] if dir_fd_at is not None and dir_fd_at < len(args) else None
            self._require_inside(event, args[path_at], dir_fd)

    def _require_inside(self, event: str, path: Any, dir_fd: int | None) -> None:
        if path is None or isinstance(path, int):
            return  # an already-open file descriptor: its opening was checked
        name = os.fsdecode(os.fspath(path))
        if name in _ALWAYS_WRITABLE:
            return
        relative_to_fd = isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(name)
        base = os.readlink(f"/proc/self/fd/{dir_fd}") if relative_to_fd else os.getcwd()
        resolved = os.path.realpath(os.path.join(base, name))
        if resolved != self.scratch and not resolved.startswith(self.scratch + os.sep):
            raise PermissionError(
                f"writing outside the scratch directory is not allowed in the sandbox: {event}({name!r}); "
                "write under the current directory instead"
            )
