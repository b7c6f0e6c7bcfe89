"""Run candidate code in confined child processes: time, memory, CPU, no network, scratch dir.

A ``Sandbox`` starts one server process that imports the heavy modules once and forks a
fresh child per ``call``. Each child gets, in layers:

- kernel (``_confine``): its own pid, mount, network, IPC and UTS namespaces; a root
  showing only an allow-list read-only (``_view``: the Python installation, system
  libraries, autoloop and the packages of its entry modules; never ``sys.path`` or the
  working directory), a few devices, its
  own /proc and a private scratch tmpfs of ``Limits.disk_mb``; a uid of its own per
  server (slot); no capabilities, ``no_new_privs`` and a seccomp filter refusing
  ``execve``, ``socket``, mounts and namespaces; wall-clock timeout (SIGKILL), and
  ``RLIMIT_AS``/``CPU``/``FSIZE``/``NPROC`` (per slot uid); where a cgroup is writable
  (``_cgroup``), one memory and process cap for all of an evaluation's processes together;
- Python: an audit hook that turns sockets, subprocesses, signals to other processes and
  writes outside the scratch directory into ``PermissionError`` at the candidate's line
  (a convenience: removing it gains a candidate nothing).

Where the kernel cannot do this (not root), ``Sandbox`` raises ``ConfinementError``
unless ``AUTOLOOP_UNSAFE_SANDBOX=1`` is set (rlimits and the audit hook only, with a
warning on every call). Values come back through a restricted unpickler (plain data only).
``Sandbox.session`` keeps one child for a step-by-step exchange of small messages (the
trusted side keeps its loop, the child answers each step; see ``Channel`` and ``Session``).
``Sandbox.isolation`` says which kernel layers this machine provides. Values come back
through a restricted unpickler (plain data only).

Example:
    >>> from autoloop.sandbox import Sandbox, Limits
    >>> with Sandbox(limits=Limits(timeout_s=10)) as sb:
    ...     out = sb.call("mypkg.entries:score", source, data)
"""

from __future__ import annotations

from autoloop.sandbox._candidate import candidate_function, exec_candidate
from autoloop.sandbox._cgroup import containment
from autoloop.sandbox._limits import Limits, Outcome
from autoloop.sandbox._sandbox import Sandbox
from autoloop.sandbox._session import Channel, Session

__all__ = ["Channel", "Limits", "Outcome", "Sandbox", "Session", "candidate_function", "containment", "exec_candidate"]
