"""The tenant's own resources: its API tokens (list, revoke) and its uploaded datasets."""

from __future__ import annotations

from fastapi import APIRouter, Request

from autoloop.service._auth import Owner, list_tokens, revoke_token
from autoloop.service._models import API_ERRORS, DatasetView, TokenView

router = APIRouter()


@router.get("/v1/tokens", response_model=list[TokenView], responses=API_ERRORS)
def get_tokens(request: Request, who: Owner) -> list[TokenView]:
    """The caller's tokens (ids and names; a token itself is never shown again)."""
    infos = list_tokens(request.app.state.records.client, owner=who)
    return [TokenView(id=info.id, name=info.name, created_at=info.created_at) for info in infos]


@router.delete("/v1/tokens/{token_id}", response_model=TokenView, responses=API_ERRORS)
def delete_token(request: Request, token_id: str, who: Owner) -> TokenView:
    """Revoke one of the caller's tokens; it stops working at once (the caller's own included)."""
    info = revoke_token(request.app.state.records.client, token_id, owner=who)
    return TokenView(id=info.id, name=info.name, created_at=info.created_at)


@router.put("/v1/datasets/{name}", status_code=201, response_model=DatasetView, responses=API_ERRORS)
async def put_dataset(request: Request, name: str, who: Owner) -> DatasetView:
    """Upload a dataset (the raw file as the body, e.g. a CSV) into the caller's own data folder;
    a study reads it with ``data_dir`` = its name. Larger than AUTOLOOP_MAX_DATA_MB: 413."""
    return request.app.state.datasets.put(who, name, await request.body())


@router.get("/v1/datasets", response_model=list[DatasetView], responses=API_ERRORS)
def get_datasets(request: Request, who: Owner) -> list[DatasetView]:
    """The caller's uploaded datasets."""
    return request.app.state.datasets.list(who)


@router.delete("/v1/datasets/{name}", status_code=204, responses=API_ERRORS)
def delete_dataset(request: Request, name: str, who: Owner) -> None:
    """Delete one of the caller's datasets."""
    request.app.state.datasets.delete(who, name)
