"""The FastAPI app: studies, tasks, health; Bearer tokens scope every study to its owner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from autoloop.errors import AutoloopError
from autoloop.service import _limits
from autoloop.service._admission import admit
from autoloop.service._auth import Owner
from autoloop.service._csp import report_headers
from autoloop.service._data_access import DataAccess
from autoloop.service._datasets import Datasets
from autoloop.service._defaults import router as defaults_router
from autoloop.service._models import API_ERRORS as _ERRORS
from autoloop.service._models import ErrorBody, Health, StudyCreate, StudyEstimate, StudyList, StudyView, TaskEntry
from autoloop.service._operator import OperatorSettings
from autoloop.service._records import StudyRecords
from autoloop.service._tenant_routes import router as tenant_router
from autoloop.tasks import task_catalog

if TYPE_CHECKING:
    import redis

    from autoloop.service._runner import StudyRunner

logger = logging.getLogger(__name__)

def own_study(request: Request, study_id: str, who: Owner) -> str:
    """The path's study id when the caller owns it; anyone else's study reads as missing (404)."""
    if not request.app.state.records.owned(study_id, who):
        raise HTTPException(404, f"no study {study_id!r} for this token")
    return study_id


StudyId = Annotated[str, Depends(own_study)]


def create_app(client: redis.Redis, runner: StudyRunner | None = None, *, settings: OperatorSettings | None = None) -> FastAPI:
    """The service app.

    Args:
        client: Redis client holding tokens, studies and the queue.
        runner: Runs the controllers of studies; started and resumed with the app
            (``None`` = API only, studies stay queued).
        settings: The operator's settings (default: the runner's, else from the environment).
    """
    records = StudyRecords(client)
    settings = runner.settings if runner is not None else settings or OperatorSettings.from_env()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            runner.resume()
        yield
        if runner is not None:
            runner.shutdown()

    app = FastAPI(
        title="autoloop",
        version="1",
        summary="Tune the learning loop of LLM-based generative optimization.",
        lifespan=lifespan,
    )

    app.state.records = records
    app.state.datasets = Datasets(DataAccess(settings))
    _limits.install(app, upload_limit=app.state.datasets.max_bytes)
    app.include_router(tenant_router)
    app.include_router(defaults_router)

    @app.exception_handler(AutoloopError)
    async def autoloop_error(_request: Request, exc: AutoloopError) -> JSONResponse:
        headers = {"Retry-After": f"{exc.retry_after:.0f}"} if exc.retry_after is not None else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)

    @app.post(
        "/v1/studies", status_code=201, response_model=StudyView | StudyEstimate,
        responses={**_ERRORS, 200: {"model": StudyEstimate}, 429: {"model": ErrorBody}},
    )
    def create_study(body: StudyCreate, who: Owner, response: Response, dry_run: bool = False) -> StudyView | StudyEstimate:
        """Submit a tuning job; its controller starts right away. With ``dry_run=true``: only the plan's
        estimate (runs, iterations, LLM calls, tokens, dollars, seconds, assumptions), 200, nothing stored."""
        if dry_run:
            if runner is None:
                raise HTTPException(503, "dry_run needs the study runner: this service only stores studies")
            response.status_code = 200
            return runner.estimate(who, body)
        # Without a runner (API only) the study is stored and stays queued.
        study_id = runner.create(who, body) if runner is not None else records.create(who, body, admit(body, settings))
        logger.info("study %s created for task %s", study_id, body.task)
        if runner is not None:
            runner.start(study_id)
        return records.status(study_id)

    @app.get("/v1/studies", response_model=StudyList, responses=_ERRORS)
    def list_studies(who: Owner) -> StudyList:
        """The caller's studies, newest first."""
        studies = [records.status(s) for s in records.of_owner(who)]
        return StudyList(studies=sorted(studies, key=lambda s: -s.created_at))

    @app.get("/v1/studies/{study_id}", response_model=StudyView, responses=_ERRORS)
    def get_study(study_id: StudyId) -> StudyView:
        """State and progress: runs done/queued/running, best so far, iterations and tokens spent."""
        return records.status(study_id)

    @app.get("/v1/studies/{study_id}/recommendation", responses={**_ERRORS, 409: {"model": ErrorBody}})
    def get_recommendation(study_id: StudyId) -> dict[str, Any]:
        """The recommendation of a finished study (409 while it runs, or with the reason it failed)."""
        recommendation = records.recommendation(study_id)
        if recommendation is None:
            view = records.status(study_id)
            if view.state == "failed":
                raise HTTPException(409, f"study {study_id} failed, so it has no recommendation: {view.error}")
            raise HTTPException(409, f"study {study_id} is {view.state}; no recommendation yet")
        return recommendation

    @app.get(
        "/v1/studies/{study_id}/report", response_class=HTMLResponse,
        responses={**_ERRORS, 200: {"content": {"text/html": {}}}, 409: {"model": ErrorBody}},
    )
    def get_report(study_id: StudyId) -> HTMLResponse:
        """The HTML report of a finished study (409 while it is still running): one self-contained page
        with the verdict, validation curves, budget allocation, validation vs test, costs and the best artifact."""
        from autoloop.report import render_report

        recommendation = records.recommendation(study_id)
        if recommendation is None:
            raise HTTPException(409, f"study {study_id} is {records.state(study_id)}; no report yet")
        html = render_report(recommendation)
        return HTMLResponse(html, headers=report_headers(html))

    @app.delete("/v1/studies/{study_id}", response_model=StudyView, responses=_ERRORS)
    def cancel_study(study_id: StudyId) -> StudyView:
        """Cancel: queued runs are dropped at once, running ones abandoned within a second (a hanging LLM request included)."""
        records.cancel(study_id)
        return records.status(study_id)

    @app.get("/v1/tasks", response_model=list[TaskEntry])
    def list_tasks() -> list[TaskEntry]:
        """Registered tasks with their starting artifacts, horizons and batch sizes (an open family as ``family:<name>``)."""
        return [
            TaskEntry(
                task=name, artifacts=list(info.artifacts), horizons=list(info.horizons), batch_sizes=list(info.batch_sizes),
                metric=info.metric.name, higher_is_better=info.metric.higher_is_better,
            )
            for name, info in task_catalog().items()
        ]

    @app.get("/healthz", response_model=Health, responses={503: {"model": ErrorBody}})
    def health() -> Health:
        """Liveness: the service answers and reaches Redis (503 when Redis is unreachable)."""
        import redis

        try:
            return Health(status="ok", redis=bool(client.ping()), active_studies=len(records.active()))
        except redis.RedisError as exc:
            raise HTTPException(503, f"Redis unreachable: {type(exc).__name__}") from exc

    return app
