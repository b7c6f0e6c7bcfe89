"""``GET /v1/defaults``: the robust default over the caller's own finished studies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from autoloop.controller import AGGREGATES, DEFAULT_TOLERANCE, robust_defaults
from autoloop.service._auth import Owner
from autoloop.service._models import API_ERRORS
from autoloop.tasks import TASK_NAME_PATTERN

_ONE_TASK = TASK_NAME_PATTERN.removeprefix("^").removesuffix("$")
_TASK_LIST = rf"^{_ONE_TASK}(,{_ONE_TASK})*$"

router = APIRouter()


@router.get("/v1/defaults", responses=API_ERRORS)
def get_defaults(
    request: Request,
    who: Owner,
    family: Annotated[str | None, Query(pattern=r"^[a-z0-9_]+$", max_length=64, description="only tasks of this family")] = None,
    tasks: Annotated[str | None, Query(pattern=_TASK_LIST, max_length=4096, description="only these tasks, comma-separated")] = None,
    aggregate: Literal[AGGREGATES] = AGGREGATES[0],  # type: ignore[valid-type]
    tolerance: Annotated[float, Query(ge=0, le=1, description="normalized regret beyond which a task left out does not transfer")] = (
        DEFAULT_TOLERANCE
    ),
) -> dict[str, Any]:
    """The setting with the best aggregate over the caller's finished studies (of a family, or of the
    tasks named), each task's leave-one-out regret, the tasks it does not transfer to, and the studies
    and runs it rests on. Only the caller's own studies count (422 with fewer than two tasks)."""
    chosen = tasks.split(",") if tasks else None
    return robust_defaults(
        request.app.state.records.finished_recommendations(who), tasks=chosen, family=family, aggregate=aggregate, tolerance=tolerance
    )
