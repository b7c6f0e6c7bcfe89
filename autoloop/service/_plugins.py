"""Plug-ins as the service sees them: loaded once at start-up, so a new one needs a restart."""

from __future__ import annotations

from autoloop.errors import UnknownNameError
from autoloop.tasks import ENTRY_POINT_GROUP, PLUGINS_ENV, TaskInfo, describe_task, load_plugins

__all__ = ["describe_served_task", "load_plugins"]


def describe_served_task(name: str) -> TaskInfo:
    """What the task ``name`` declares, as this service knows it.

    Raises:
        UnknownNameError: The service does not know the task; the message says how to add a
            plug-in's tasks (the registry is read when the service starts).
    """
    try:
        return describe_task(name)
    except UnknownNameError as exc:
        raise UnknownNameError(
            f"{exc}. The service reads its tasks when it starts: if {name!r} comes from a plug-in, install the "
            f"plug-in's package (entry-point group {ENTRY_POINT_GROUP!r}) or list its module in {PLUGINS_ENV} "
            "where the service and its workers run, then restart them (`autoloop serve`, `autoloop worker`)"
        ) from exc
