"""Limits and the audit hook of a sandboxed child (the kernel confinement is ``_confine``).

The audit hook is a convenience, not the wall: it turns the common cases (sockets,
subprocesses, writes outside the scratch directory) into clear ``PermissionError``s at
the candidate's line, while the namespaces, uid, capabilities and seccomp filter of
``_confine`` hold against code that removes the hook or calls libc through ``ctypes``.
"""

from __future__ import annotations

import _posixsubprocess
import ctypes
import os
import resource
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from autoloop.sandbox._limits import Limits

_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36
# Per slot uid (see ``_confine``): a fork bomb exhausts its own slot, never another's.
NPROC_PER_SLOT = 64

_libc = ctypes.CDLL(None, use_errno=True)


def current_cpu() -> int:
    """The CPU this thread is running on now (-1 if the C library cannot tell)."""
    return int(_libc.sched_getcpu())


def become_subreaper() -> bool:
    """Adopt orphaned descendants, so processes a child started and detached come back to us."""
    return _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def tie_to_parent() -> None:
    """Without kernel confinement: die with the server, never gain privileges."""
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def apply_limits(limits: Limits, *, confined: bool) -> None:
    """Set the rlimits of one evaluation (memory on top of what is mapped now)."""
    cpu = limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + (limits.memory_mb << 20),) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if confined:
        resource.setrlimit(resource.RLIMIT_NPROC, (NPROC_PER_SLOT,) * 2)


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
