"""Plug-ins as the service sees them: loaded once at start-up, so a new one needs a restart."""

from __future__ import annotations

from autoloop.tasks import ENTRY_POINT_GROUP, PLUGINS_ENV, load_plugins

__all__ = ["load_plugins", "restart_advice"]


def restart_advice() -> str:
    """How to make a plug-in's task known to the service (its registry is read when it starts)."""
    return (
        "The service reads its tasks when it starts: if the task comes from a plug-in, install the plug-in's package "
        f"(entry-point group {ENTRY_POINT_GROUP!r}) or list its module in {PLUGINS_ENV} where the service and its workers "
        "run, then restart them (`autoloop serve`, `autoloop worker`)"
    )
