"""A forked child: confine itself, wait for one request, run it, report one result frame.

The server forks the child ahead of time (a "spare"), so the fork and most of the
confinement happen while the parent is busy elsewhere. The result frame is one tag
byte plus a body: ``V`` + the pickled return value, ``E`` + a UTF-8 failure reason, or
``S`` + why the confinement itself could not be set up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import socket
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from autoloop.sandbox._candidate import candidate_traceback, describe_exception, mark_inside_sandbox
from autoloop.sandbox._confine import build_root, drop_privileges
from autoloop.sandbox._guard import ScratchPolicy, apply_limits, tie_to_parent
from autoloop.sandbox._limits import Limits
from autoloop.sandbox._session import CHANNEL_IN_FD, CHANNEL_OUT_FD, Channel
from autoloop.sandbox._wire import frame, recv, write_all


@dataclass(frozen=True)
class Confinement:
    """How the server confines its children: the slot's uid and what their root shows."""

    uid: int
    paths: tuple[str, ...]


@dataclass(frozen=True)
class ChildFds:
    """The server's descriptors a forked child moves to its fixed numbers before a request arrives.

    Args:
        request: Where the request arrives.
        result: Where the result frame goes.
        output_socket: A unix socket to the server: the child makes its stdout and stderr one
            unnamed file in its scratch (its tmpfs, when confined) and sends it there.
        channel: ``(read_fd, write_fd)`` of the session channel.
    """

    request: int
    result: int
    output_socket: int
    channel: tuple[int, int]


RESULT_FD = 3
REQUEST_FD = 4
# The child end of the socket that hands the output file to the server (fd 7, after the channel).
OUTPUT_SOCKET_FD = CHANNEL_OUT_FD + 1
# The scratch directory as a confined child sees it (its own tmpfs, in its own root).
CONFINED_SCRATCH = "/scratch"
_KEEP_ENV = (
    "PATH",
    "LANG",
    "TZ",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "JOBLIB_MULTIPROCESSING",
)


def serve_one(
    entries: Mapping[str, Callable[..., Any]],
    *,
    scratch: str,
    fds: ChildFds,
    confinement: Confinement | None,
    disk_mb: int,
) -> NoReturn:
    """In a freshly forked child: confine, read ``{"entry", "args", "limits"}``, run it, exit.

    A request with a ``"session"`` token runs ``entry(Channel(token), *args)`` instead.

    Args:
        entries: Entry functions the server has imported, by ``"module:function"``.
        scratch: An empty directory: the evaluation's working directory, or, when
            confined, the mount point of the child's new root.
        fds: The request, result, output and channel descriptors it inherited.
        confinement: The slot uid and visible paths, or ``None`` (unsafe: rlimits and
            the audit hook only).
        disk_mb: Size of the scratch tmpfs (only when confined).
    """
    try:
        try:
            workdir = _prepare(scratch, fds, confinement=confinement, disk_mb=disk_mb)
            request = recv(REQUEST_FD)
            os.close(REQUEST_FD)
            func, limits = entries[request["entry"]], request["limits"]
            if request.get("cpu") is not None:
                with contextlib.suppress(OSError):  # only a speed-up: run anywhere if the CPU is not ours
                    os.sched_setaffinity(0, {request["cpu"]})  # the CPU the session's parent is pinned to
            _confine(limits, scratch=workdir, confined=confinement is not None)
        except Exception as exc:  # noqa: BLE001 - any setup failure is reported, never run unconfined
            message = b"S" + f"could not confine the evaluation: {exc!r}".encode()
        else:
            token = request.get("session")
            message = _evaluate(func, request["args"], limits, None if token is None else Channel(token))
        _flush_output()
        write_all(RESULT_FD, frame(message))
    finally:
        os._exit(0)


def _prepare(scratch: str, fds: ChildFds, *, confinement: Confinement | None, disk_mb: int) -> str:
    """Everything that does not depend on the request, done before it arrives; returns the scratch path.

    If the server dies meanwhile, the request pipe closes and the child exits unused.
    """
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_RDWR)  # stdout and stderr too, until the output file exists
    targets = {
        0: null,
        1: null,
        2: null,
        RESULT_FD: fds.result,
        REQUEST_FD: fds.request,
        CHANNEL_IN_FD: fds.channel[0],
        CHANNEL_OUT_FD: fds.channel[1],
        OUTPUT_SOCKET_FD: fds.output_socket,
    }
    # Lift every source above the targets first so no dup2 overwrites a source still needed.
    lifted = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 16) for target, source in targets.items()}
    for target, source in lifted.items():
        os.dup2(source, target)
    os.closerange(OUTPUT_SOCKET_FD + 1, os.sysconf("SC_OPEN_MAX"))
    if confinement is None:
        os.chdir(scratch)
        _output_to_scratch()
        tie_to_parent()
        return scratch
    build_root(scratch, scratch=CONFINED_SCRATCH, disk_mb=disk_mb, uid=confinement.uid, paths=confinement.paths)
    os.chdir(CONFINED_SCRATCH)
    _output_to_scratch()
    drop_privileges(confinement.uid)
    return CONFINED_SCRATCH


def _flush_output() -> None:
    """Flush stdout and stderr; past ``Limits.file_mb`` or with the scratch disk full the rest
    of the output is lost (the server reports why), never the result."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()


def _output_to_scratch() -> None:
    """Point stdout and stderr at an unnamed file in the working directory and hand it to the server.

    The file lives in the scratch file system (the child's own tmpfs, when confined), so what
    the evaluation prints counts against ``Limits.disk_mb`` with its files, is capped at
    ``Limits.file_mb`` by ``RLIMIT_FSIZE``, and vanishes with the child's last reader. The
    evaluation cannot reach it by name; the server reads its tail through the handed-over fd.
    """
    with tempfile.TemporaryFile(dir=".", buffering=0) as output:  # O_TMPFILE where supported: no name at all
        os.dup2(output.fileno(), 1)
        os.dup2(output.fileno(), 2)
    with socket.socket(fileno=OUTPUT_SOCKET_FD) as server:
        socket.send_fds(server, [b"o"], [1])


def _confine(limits: Limits, *, scratch: str, confined: bool) -> None:
    apply_limits(limits, confined=confined)
    kept = {key: os.environ[key] for key in _KEEP_ENV if key in os.environ}
    os.environ.clear()
    os.environ.update(kept, HOME=scratch, TMPDIR=scratch, TMP=scratch, TEMP=scratch)
    tempfile.tempdir = scratch
    sys.dont_write_bytecode = True
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr] - keep prints and errors in order
    ScratchPolicy(scratch).install()
    mark_inside_sandbox()


def _evaluate(func: Callable[..., Any], args_blob: bytes, limits: Limits, channel: Channel | None) -> bytes:
    memory = f"memory limit ({limits.memory_mb} MiB) exceeded"
    try:
        args = pickle.loads(args_blob)
        value = func(*args) if channel is None else func(channel, *args)
    except MemoryError:
        return b"E" + memory.encode()
    except SystemExit as exc:
        return b"E" + f"exited via sys.exit({exc.code!r})".encode()
    except BaseException as exc:  # noqa: BLE001 - every candidate failure becomes a reason
        with contextlib.suppress(OSError):  # the output file is full (see _flush_output)
            sys.stderr.write(candidate_traceback(exc))
        return b"E" + describe_exception(exc).encode()
    try:
        return b"V" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return b"E" + memory.encode()
    except Exception as exc:  # noqa: BLE001 - pickling can fail in arbitrary ways for arbitrary values
        return b"E" + f"the evaluation returned a value that cannot be pickled: {describe_exception(exc)}".encode()
