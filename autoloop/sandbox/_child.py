"""The forked child: confine itself, run the entry function, report one result frame.

The result frame is one tag byte plus a body: ``V`` + the pickled return value, ``E`` +
a UTF-8 failure reason, or ``S`` + why the confinement itself could not be set up.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from typing import Any, NoReturn

from autoloop.sandbox._candidate import candidate_traceback, describe_exception, mark_inside_sandbox
from autoloop.sandbox._guard import ScratchPolicy, apply_limits, drop_privileges, isolate_network
from autoloop.sandbox._limits import Limits
from autoloop.sandbox._wire import frame, write_all

RESULT_FD = 3
_KEEP_ENV = ("PATH", "LANG", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def run_child(
    func: Callable[..., Any],
    args_blob: bytes,
    limits: Limits,
    *,
    scratch: str,
    result_fd: int,
    output_fd: int,
    user: tuple[int, int] | None,
) -> NoReturn:
    """Confine this (freshly forked) process, call ``func(*args)``, write the result, exit."""
    try:
        try:
            _confine(limits, scratch=scratch, result_fd=result_fd, output_fd=output_fd, user=user)
        except Exception as exc:  # noqa: BLE001 - any setup failure is reported, never run unconfined
            message = b"S" + f"could not confine the evaluation: {exc!r}".encode()
        else:
            message = _evaluate(func, args_blob, limits)
        sys.stdout.flush()
        sys.stderr.flush()
        write_all(RESULT_FD, frame(message))
    finally:
        os._exit(0)


def _confine(limits: Limits, *, scratch: str, result_fd: int, output_fd: int, user: tuple[int, int] | None) -> None:
    server = os.getppid()
    os.setpgid(0, 0)
    os.dup2(result_fd, RESULT_FD)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.closerange(RESULT_FD + 1, os.sysconf("SC_OPEN_MAX"))
    os.chdir(scratch)
    isolate_network()
    if user is not None:
        drop_privileges(*user)
    apply_limits(limits, dropped=user is not None)
    if os.getppid() != server:
        os._exit(1)  # the server died before the kernel could tie this child to it
    kept = {key: os.environ[key] for key in _KEEP_ENV if key in os.environ}
    os.environ.clear()
    os.environ.update(kept, HOME=scratch, TMPDIR=scratch, TMP=scratch, TEMP=scratch)
    tempfile.tempdir = scratch
    sys.dont_write_bytecode = True
    ScratchPolicy(scratch).install()
    mark_inside_sandbox()


def _evaluate(func: Callable[..., Any], args_blob: bytes, limits: Limits) -> bytes:
    memory = f"memory limit ({limits.memory_mb} MiB) exceeded"
    try:
        value = func(*pickle.loads(args_blob))
    except MemoryError:
        return b"E" + memory.encode()
    except SystemExit as exc:
        return b"E" + f"exited via sys.exit({exc.code!r})".encode()
    except BaseException as exc:  # noqa: BLE001 - every candidate failure becomes a reason
        sys.stderr.write(candidate_traceback(exc))
        return b"E" + describe_exception(exc).encode()
    try:
        return b"V" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return b"E" + memory.encode()
    except Exception as exc:  # noqa: BLE001 - pickling can fail in arbitrary ways for arbitrary values
        return b"E" + f"the evaluation returned a value that cannot be pickled: {describe_exception(exc)}".encode()
