"""Plug-in modules (``AUTOLOOP_PLUGINS``) that register extra tasks or optimizers in code."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

from autoloop.errors import ConfigError

ENV_PLUGINS = "AUTOLOOP_PLUGINS"


def load_plugins(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Import the modules named in ``$AUTOLOOP_PLUGINS`` (comma-separated) and ``extra``.

    The service and every worker call this at start-up, so a task registered by a plug-in
    module resolves on both sides of the queue.

    Raises:
        ConfigError: A module cannot be imported.
    """
    names = [n.strip() for n in os.environ.get(ENV_PLUGINS, "").split(",") if n.strip()]
    names += [n for n in extra if n not in names]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"plug-in module {name!r} from {ENV_PLUGINS}/--plugin cannot be imported ({exc}); fix PYTHONPATH") from exc
    return tuple(names)
