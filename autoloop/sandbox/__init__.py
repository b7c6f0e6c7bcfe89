"""Run candidate code in confined child processes: time, memory, CPU, no network, scratch dir.

A ``Sandbox`` starts one server process that imports the heavy modules once and forks a
fresh child per ``call``. Each child gets, in layers:

- kernel: wall-clock timeout (SIGKILL of its process group), ``RLIMIT_AS``/``CPU``/
  ``FSIZE``, an empty network namespace, and, when the worker runs as root, user
  ``nobody`` plus a private tmpfs scratch directory of ``Limits.disk_mb``;
- Python: an audit hook that turns sockets, subprocesses, signals to other processes and
  writes outside the scratch directory into ``PermissionError`` at the candidate's line.

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
from autoloop.sandbox._limits import Limits, Outcome
from autoloop.sandbox._sandbox import Sandbox
from autoloop.sandbox._session import Channel, Session

__all__ = ["Channel", "Limits", "Outcome", "Sandbox", "Session", "candidate_function", "exec_candidate"]
