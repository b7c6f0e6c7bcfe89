"""autoloop: tune the learning loop of LLM-based generative optimization.

``autoloop.Client`` talks to the service; ``autoloop.run`` and ``autoloop.tune`` take a task
object in this process (see ``autoloop.inprocess``); everything else lives in subpackages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoloop.client import Client, Study, StudyFailedError
    from autoloop.inprocess import run, tune

__all__ = ["Client", "Study", "StudyFailedError", "run", "tune"]

# Loaded on first use: `import autoloop.tasks` must pay for neither the HTTP client nor the controller.
_LAZY = {
    "Client": "autoloop.client", "Study": "autoloop.client", "StudyFailedError": "autoloop.client",
    "run": "autoloop.inprocess", "tune": "autoloop.inprocess",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autoloop' has no attribute {name!r}")
