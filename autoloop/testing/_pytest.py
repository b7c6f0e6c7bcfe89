"""pytest, imported with an install hint: the contract suites are the only users of it in the package."""

from __future__ import annotations

try:
    import pytest
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("autoloop.testing needs pytest: pip install pytest (autoloop-tuner's [test] extra)") from exc

__all__ = ["pytest"]
