"""What the HTTP API accepts at most, and how it says no without echoing the input.

A request body is read up to ``MAX_BODY_BYTES`` (a dataset upload: up to the operator's data
limit) and refused beyond (413, without reading the rest); a body that fails validation gets a 422 naming each bad field and what it expects,
never the value sent (which could be huge, non-finite or a secret); an unreachable Redis is a
503 on every endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
UPLOAD_PATH = "/v1/datasets/"
_MAX_ERRORS = 10


class BodyLimit:
    """ASGI middleware: requests whose body exceeds ``limit`` bytes get 413, unread.

    Args:
        app: The wrapped application.
        limit: Largest body accepted, in bytes.
        upload_limit: Largest body of a dataset upload (``PUT /v1/datasets/...``).
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, upload_limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("method") == "PUT" and str(scope.get("path", "")).startswith(UPLOAD_PATH)
        limit = self.upload_limit if upload else self.limit
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit, send)
            return
        # No length up front (chunked): read the body here, at most one byte past the limit,
        # then hand the application exactly what was read.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > limit:
                await _too_large(limit, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


async def _too_large(limit: int, send: Send) -> None:
    response = JSONResponse({"detail": f"request body larger than {limit} bytes; send a smaller request"}, status_code=413)
    await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def describe_errors(errors: Sequence[dict[str, Any]]) -> str:
    """``field: what was wrong`` for each error, without the input values."""
    parts = []
    for error in errors[:_MAX_ERRORS]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    if len(errors) > _MAX_ERRORS:
        parts.append(f"... and {len(errors) - _MAX_ERRORS} more")
    return "; ".join(parts) + " (see /openapi.json for every field's type and range)"


def install(app: FastAPI, *, upload_limit: int = MAX_BODY_BYTES) -> None:
    """Add the body limit, the validation-error handler and the Redis-down handler to ``app``."""
    import redis

    app.add_middleware(BodyLimit, upload_limit=upload_limit)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_errors(exc.errors())}, status_code=422)

    @app.exception_handler(redis.RedisError)
    async def redis_down(_request: Request, exc: redis.RedisError) -> JSONResponse:
        detail = f"Redis is unreachable ({type(exc).__name__}); retry in a few seconds"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})
