"""Run candidate code in confined child processes: time, memory, CPU, no network, scratch dir.

Example:
    >>> from autoloop.sandbox import Sandbox, Limits
    >>> with Sandbox(limits=Limits(timeout_s=10)) as sb:
    ...     out = sb.call("mypkg.entries:score", source, data)
"""

from __future__ import annotations

from autoloop.sandbox._candidate import exec_candidate
from autoloop.sandbox._limits import Limits, Outcome
from autoloop.sandbox._sandbox import Sandbox

__all__ = ["Limits", "Outcome", "Sandbox", "exec_candidate"]
