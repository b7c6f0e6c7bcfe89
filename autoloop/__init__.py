"""autoloop: tune the learning loop of LLM-based generative optimization.

``autoloop.Client`` talks to the service; everything else lives in subpackages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoloop.client import Client, Study, StudyFailedError

__all__ = ["Client", "Study", "StudyFailedError"]


def __getattr__(name: str) -> Any:
    # Lazy: `import autoloop.tasks` must not pay for the HTTP client.
    if name in __all__:
        from autoloop import client

        return getattr(client, name)
    raise AttributeError(f"module 'autoloop' has no attribute {name!r}")
