"""One memory and process cap per evaluation, for all its processes together: a cgroup.

``RLIMIT_AS`` caps each process, so an evaluation that forks N children may use N times
``Limits.memory_mb``. A cgroup caps their sum. Each sandbox server runs one evaluation at a
time, so one group per server slot (``autoloop-slot-<uid>``) is one group per evaluation:
the server moves every child it forks into it and sets its caps from the request's limits
before the request reaches the child. The kernel offers it through cgroup v2 (the unified
hierarchy, where ``memory`` and ``pids`` can be enabled below the server's own group) or
through v1's ``memory`` and ``pids`` hierarchies; where neither is writable, the per-process
limits are all there is, and ``containment()`` says so.
"""

from __future__ import annotations

import contextlib
import os
import resource
from dataclasses import dataclass


@dataclass(frozen=True)
class EvaluationGroup:
    """The cgroup directories of one slot and how to cap them.

    Args:
        version: ``"v2"`` or ``"v1"``.
        directories: The group's directory (v2), or its memory and pids directories (v1).
        memory_file: Where the byte cap is written (``memory.max`` or ``memory.limit_in_bytes``).
        pids_file: Where the process cap is written (``pids.max``).
        oom_file: Where the kernel counts the processes it killed for memory.
    """

    version: str
    directories: tuple[str, ...]
    memory_file: str
    pids_file: str
    oom_file: str

    def cap(self, *, memory_bytes: int, processes: int) -> None:
        """Cap the group's memory (every process together) and its number of tasks."""
        _write(self.memory_file, str(memory_bytes))
        _write(self.pids_file, str(processes))

    def add(self, pid: int) -> None:
        """Move ``pid`` (and so whatever it starts later) into the group."""
        for directory in self.directories:
            _write(os.path.join(directory, "cgroup.procs"), str(pid))

    def oom_kills(self) -> int:
        """How many processes of the group the kernel has killed for memory so far."""
        with open(self.oom_file) as events:
            for line in events:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def remove(self) -> None:
        """Delete the group; left for the slot's next server if a dying task still holds it."""
        for directory in self.directories:
            with contextlib.suppress(OSError):  # EBUSY: a task of a killed child is still being torn down
                os.rmdir(directory)


def create_group(name: str) -> EvaluationGroup | None:
    """Make (or reuse) the group ``autoloop-<name>`` below this process's own; ``None`` if the kernel offers none."""
    mounts = _cgroup_mounts()
    own = _own_groups()
    if "v2" in mounts and "" in own:
        group = _v2_group(os.path.join(mounts["v2"] + own[""], f"autoloop-{name}"))
        if group is not None:
            return group
    if {"memory", "pids"} <= mounts.keys() and {"memory", "pids"} <= own.keys():
        return _v1_group(
            os.path.join(mounts["memory"] + own["memory"], f"autoloop-{name}"),
            os.path.join(mounts["pids"] + own["pids"], f"autoloop-{name}"),
        )
    return None


def containment() -> tuple[bool, str]:
    """For a worker's start-up log: whether an evaluation's processes are capped together, and how."""
    group = create_group(f"probe-{os.getpid()}")
    if group is None:
        return False, (
            "sandbox memory: per process only (RLIMIT_AS; no writable cgroup with memory and pids here), "
            "so an evaluation that forks may use Limits.memory_mb in each of its up to 64 processes"
        )
    group.remove()
    return True, f"sandbox memory: one cgroup ({group.version}) per evaluation caps its processes together (memory and pids)"


def server_footprint() -> int:
    """Bytes this process has resident now: what a forked child may copy on write, charged to its group.

    Read from ``/proc/self/statm``, not ``ru_maxrss``: that one keeps the peak of the process
    that started the server (it survives ``execve``).
    """
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _v2_group(directory: str) -> EvaluationGroup | None:
    parent = os.path.dirname(directory)
    try:
        with open(os.path.join(parent, "cgroup.controllers")) as controllers:
            if not {"memory", "pids"} <= set(controllers.read().split()):
                return None
        _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
        os.makedirs(directory, exist_ok=True)
    except OSError:  # the controllers are not delegated to us: v1 or no group at all
        return None
    return EvaluationGroup(
        "v2", (directory,), os.path.join(directory, "memory.max"), os.path.join(directory, "pids.max"),
        os.path.join(directory, "memory.events"),
    )


def _v1_group(memory: str, pids: str) -> EvaluationGroup | None:
    try:
        os.makedirs(memory, exist_ok=True)
        os.makedirs(pids, exist_ok=True)
    except OSError:  # read-only hierarchy (an unprivileged container)
        return None
    return EvaluationGroup(
        "v1", (memory, pids), os.path.join(memory, "memory.limit_in_bytes"), os.path.join(pids, "pids.max"),
        os.path.join(memory, "memory.oom_control"),
    )


def _cgroup_mounts() -> dict[str, str]:
    """``"v2"`` -> where the unified hierarchy is mounted; v1 controller -> its hierarchy's mount point."""
    found: dict[str, str] = {}
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _, point, kind, options, *_ = line.split()
            if kind == "cgroup2":
                found.setdefault("v2", point)
            elif kind == "cgroup":
                for option in options.split(","):
                    if option in ("memory", "pids"):
                        found.setdefault(option, point)
    return found


def _own_groups() -> dict[str, str]:
    """Controller (``""`` for v2) -> this process's group path in that hierarchy."""
    own: dict[str, str] = {}
    with open("/proc/self/cgroup") as groups:
        for line in groups:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path.rstrip("/")
    return own


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
