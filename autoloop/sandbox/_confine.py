"""Kernel confinement of a sandboxed child: namespaces, a minimal root, no privileges.

Done with direct system calls in the forked child (no helper binary), so a warm call
still costs one fork. The server, running as root, forks each child straight into new
pid, mount, network, IPC and UTS namespaces (``clone``); the child then builds a root
holding only what ``_view`` allows, read-only, and its private scratch tmpfs, pivots
into it, empties its capability bounding set, becomes its slot's uid, sets
``no_new_privs`` and installs a seccomp filter refusing ``execve``, ``socket`` and the
namespace/mount calls. Each server holds one slot (a uid of its own, locked with
``flock``), so concurrent evaluations never share a uid and ``RLIMIT_NPROC`` is per slot.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import platform
import signal
from dataclasses import dataclass

from autoloop.sandbox._seccomp import install_filter
from autoloop.sandbox._view import child_view

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_NAMESPACES = _CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWPID | _CLONE_NEWNET
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_DEVICES = ("null", "zero", "random", "urandom")
SLOT_UID_BASE = 1_200_000_000
_SLOTS = 4096
_SLOT_DIR = "/run/autoloop-sandbox"

_libc = ctypes.CDLL(None, use_errno=True)
# Called with the GIL held, as os.fork calls fork(): nothing else runs across the clone.
_libc_gil = ctypes.PyDLL(None, use_errno=True)
_libc_gil.syscall.restype = ctypes.c_long


@dataclass(frozen=True)
class Slot:
    """The uid (and gid) a server's children run as, held while ``lock_fd`` stays open."""

    uid: int
    lock_fd: int


def claim_slot() -> Slot:
    """Lock the first free slot, so no concurrent server's children share our uid.

    Raises:
        OSError: Every slot is taken or the lock directory cannot be created.
    """
    os.makedirs(_SLOT_DIR, mode=0o700, exist_ok=True)
    for index in range(_SLOTS):
        fd = os.open(f"{_SLOT_DIR}/slot-{index}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Slot(SLOT_UID_BASE + index, fd)
    raise OSError(f"all {_SLOTS} sandbox slots under {_SLOT_DIR} are in use")


def fork_confined() -> int:
    """``os.fork`` into new pid, mount, network, IPC and UTS namespaces (needs root).

    The child is pid 1 of its pid namespace: when it dies the kernel kills every
    process it started, wherever they moved.

    Raises:
        OSError: The kernel refused the namespaces.
    """
    number = _SYS_CLONE.get(platform.machine())
    if number is None:
        raise OSError(f"no clone system call number known for {platform.machine()}")
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = _libc_gil.syscall(ctypes.c_long(number), ctypes.c_ulong(_NAMESPACES | signal.SIGCHLD), *[ctypes.c_long(0)] * 4)
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        return 0
    errno = ctypes.get_errno()
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(errno, f"clone into new namespaces failed: {os.strerror(errno)}")
    return pid


def build_root(new_root: str, *, scratch: str, disk_mb: int, uid: int, paths: tuple[str, ...]) -> None:
    """Make ``new_root`` this process's ``/``: ``paths`` read-only, devices, /proc, scratch.

    Args:
        new_root: An empty directory to mount the new root on (seen by this child only).
        scratch: Where the scratch tmpfs of ``disk_mb`` MiB, owned by ``uid``, appears.
        disk_mb: Size of the scratch tmpfs.
        uid: Owner (uid and gid) of the scratch directory.
        paths: Host paths shown read-only at the same place (without the file systems
            mounted below them).
    """
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing below propagates to the host
    _mount("tmpfs", new_root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
    for path in paths:
        target = new_root + path
        _make_mountpoint(target, directory=os.path.isdir(path))
        _mount(path, target, None, _MS_BIND)  # not recursive: mounts below it stay hidden
        _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    for name in ("lib", "lib64", "bin"):
        if os.path.islink(f"/{name}"):
            os.symlink(os.readlink(f"/{name}"), f"{new_root}/{name}")
    for device in _DEVICES:
        _make_mountpoint(f"{new_root}/dev/{device}", directory=False)
        _mount(f"/dev/{device}", f"{new_root}/dev/{device}", None, _MS_BIND)
    _make_mountpoint(f"{new_root}/dev/shm", directory=True)  # POSIX semaphores (multiprocessing locks)
    _mount("tmpfs", f"{new_root}/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size=16m,mode=0700,uid={uid},gid={uid}")
    os.makedirs(f"{new_root}/proc")
    _make_mountpoint(new_root + scratch, directory=True)
    _mount("tmpfs", new_root + scratch, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={disk_mb}m,mode=0700,uid={uid},gid={uid}")
    os.chdir(new_root)
    if _libc.syscall(ctypes.c_long(_SYS_PIVOT_ROOT[platform.machine()]), b".", b".") != 0:
        _raise("pivot_root", new_root)
    if _libc.umount2(b".", _MNT_DETACH) != 0:  # the old root, stacked under the new one
        _raise("umount2", "/")
    os.chdir("/")
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)  # this pid namespace's


def drop_privileges(uid: int) -> None:
    """Become ``uid`` with no capabilities, none regainable, and the seccomp filter on.

    Call last: afterwards this process cannot mount, unshare, exec or open sockets.
    """
    cap = 0
    while _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1  # until EINVAL: past the last capability this kernel knows
    if ctypes.get_errno() != 22 or cap == 0:
        _raise("prctl(PR_CAPBSET_DROP)", str(cap))
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to non-root without keepcaps: every capability goes
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _raise("prctl(PR_SET_NO_NEW_PRIVS)", "")
    # Changing credentials cleared it: die with the server again.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    install_filter()


def probe(base: str, slot: Slot) -> str | None:
    """Try the whole confinement once in a throwaway child; ``None`` if it works, else why."""
    read_fd, write_fd = os.pipe()
    new_root = os.path.join(base, "probe")
    os.mkdir(new_root)
    try:
        pid = fork_confined()
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        os.rmdir(new_root)
        return str(exc)
    if pid == 0:
        os.close(read_fd)
        try:
            build_root(new_root, scratch="/scratch", disk_mb=1, uid=slot.uid, paths=child_view())
            drop_privileges(slot.uid)
        except Exception as exc:  # noqa: BLE001 - any failure means no confinement: report it
            os.write(write_fd, repr(exc).encode()[:1000])
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        reason = reader.read().decode()
    os.waitpid(pid, 0)
    os.rmdir(new_root)
    return reason or None


def _make_mountpoint(path: str, *, directory: bool) -> None:
    if directory:
        os.makedirs(path, exist_ok=True)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    if _libc.mount(_encode(source), _encode(target), _encode(fstype), flags, _encode(data)) != 0:
        _raise("mount", f"{source} on {target}")


def _encode(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _raise(call: str, what: str) -> None:
    errno = ctypes.get_errno()
    raise OSError(errno, f"{call} failed ({what}): {os.strerror(errno)}")
