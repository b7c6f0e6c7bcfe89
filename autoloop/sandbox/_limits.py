"""What one sandboxed evaluation may use (``Limits``) and how it ended (``Outcome``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Resource limits for one evaluation in the sandbox.

    Args:
        timeout_s: Wall-clock seconds before the evaluation is killed.
        memory_mb: Address space (MiB) the evaluation may allocate on top of what the
            preloaded modules already use.
        cpu_s: CPU seconds before the kernel stops the evaluation; ``None`` means
            ``timeout_s``.
        file_mb: Largest file (MiB) the evaluation may write in its scratch directory,
            and the most it may print (stdout and stderr together, an unnamed file in the
            scratch directory); printing more ends it as ``"output exceeded N MiB"``.
        disk_mb: Size (MiB) of the scratch directory, a private in-memory filesystem holding
            the evaluation's files and its output (not in the unsafe development mode, where
            only ``file_mb`` applies).

    Example:
        >>> Limits(timeout_s=5, memory_mb=512).cpu_seconds
        5
    """

    timeout_s: float = 60.0
    memory_mb: int = 4096
    cpu_s: float | None = None
    file_mb: int = 256
    disk_mb: int = 1024

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s=}")
        if self.memory_mb < 16:
            raise ValueError(f"memory_mb must be >= 16, got {self.memory_mb=}")
        if self.cpu_s is not None and not self.cpu_s > 0:
            raise ValueError(f"cpu_s must be > 0 or None, got {self.cpu_s=}")
        if self.file_mb < 1:
            raise ValueError(f"file_mb must be >= 1, got {self.file_mb=}")
        if self.disk_mb < 1:
            raise ValueError(f"disk_mb must be >= 1, got {self.disk_mb=}")

    @property
    def cpu_seconds(self) -> int:
        """The CPU limit in whole seconds, as the kernel enforces it (at least 1)."""
        return max(1, math.ceil(self.timeout_s if self.cpu_s is None else self.cpu_s))


@dataclass(frozen=True)
class Outcome:
    """The result of one sandboxed call.

    A failing candidate is an ``Outcome`` with ``ok=False``, never an exception.

    Args:
        ok: True when the entry function returned normally.
        value: The entry function's return value when ``ok``, else ``None``.
        error: Why the evaluation failed, e.g. ``"timed out after 60s"`` or
            ``"ZeroDivisionError: division by zero (line 12 of candidate: return 1 / 0)"``.
        duration_s: Wall-clock seconds the evaluation ran (fork to exit).
        output: The last few KiB the evaluation printed to stdout and stderr.
    """

    ok: bool
    value: Any = None
    error: str | None = None
    duration_s: float = 0.0
    output: str = ""
