"""API tokens: created once by ``autoloop token create``, stored only as sha256 digests, listed
and revoked by id (the digest's first ``ID_CHARS`` hex digits; the token itself is never shown again)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from autoloop.errors import ConfigError, UnknownNameError
from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis

TOKEN_PREFIX = "al_"
ID_CHARS = 12


@dataclass(frozen=True)
class TokenInfo:
    """Who a token belongs to.

    Args:
        owner: Owner id; studies are keyed by it.
        name: Label given at creation.
        id: The token's id (a prefix of its digest), for listing and revoking.
        created_at: ``time.time()`` at creation.
    """

    owner: str
    name: str
    id: str = ""
    created_at: float = 0.0

    def to_dict(self) -> dict[str, str | float]:
        """A JSON-ready form (no secret in it)."""
        return {"id": self.id, "owner": self.owner, "name": self.name, "created_at": self.created_at}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(client: redis.Redis, name: str = "default", *, owner: str | None = None) -> str:
    """Make a new token and return it; it cannot be shown again.

    Args:
        client: Redis client.
        name: A label, e.g. the user's name.
        owner: An existing owner id, to give that tenant another token (e.g. before revoking
            the old one); default a new owner.
    """
    if not name or len(name) > 100:
        raise ConfigError(f"token name must be 1-100 characters, got {name!r}")
    if owner is not None and not any(info.owner == owner for info in list_tokens(client)):
        raise ConfigError(f"no token has owner {owner!r}; see `autoloop token list`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    owner = owner or secrets.token_hex(8)
    client.hset(keys.token(_digest(token)), mapping={"owner": owner, "name": name, "created_at": time.time()})
    return token


def check_token(client: redis.Redis, token: str) -> TokenInfo | None:
    """The owner of ``token``, or ``None`` for an unknown token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    data = client.hgetall(keys.token(digest))
    return _info(digest, data) if data else None


def list_tokens(client: redis.Redis, *, owner: str | None = None) -> list[TokenInfo]:
    """Every token (of ``owner`` only, when given), oldest first."""
    return [info for _digest_, info in _scan(client, owner)]


def revoke_token(client: redis.Redis, token_id: str, *, owner: str | None = None) -> TokenInfo:
    """Delete the token whose id is ``token_id`` (of ``owner`` only, when given); it stops working at once.

    Raises:
        UnknownNameError: No such token (or not one of ``owner``'s): HTTP 404.
    """
    matches = [(digest, info) for digest, info in _scan(client, owner) if info.id == token_id]
    if not matches:
        raise UnknownNameError(f"no token with id {token_id!r}; see `autoloop token list` (or GET /v1/tokens)")
    client.delete(*(keys.token(digest) for digest, _info_ in matches))
    return matches[0][1]


def _scan(client: redis.Redis, owner: str | None) -> list[tuple[str, TokenInfo]]:
    prefix = keys.token("")
    found = []
    for key in client.scan_iter(match=prefix + "*", count=500):
        digest = key.decode().removeprefix(prefix)
        data = client.hgetall(key)
        if data and (owner is None or data[b"owner"].decode() == owner):
            found.append((digest, _info(digest, data)))
    return sorted(found, key=lambda pair: (pair[1].created_at, pair[1].id))


def _info(digest: str, data: dict[bytes, bytes]) -> TokenInfo:
    return TokenInfo(
        owner=data[b"owner"].decode(), name=data[b"name"].decode(), id=digest[:ID_CHARS], created_at=float(data.get(b"created_at", 0))
    )


_bearer = HTTPBearer(auto_error=False, description="a token from `autoloop token create`")


def owner(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The owner id of the Bearer token; 401 without a known token."""
    if credentials is None:
        raise HTTPException(401, "missing Bearer token; create one with `autoloop token create`", {"WWW-Authenticate": "Bearer"})
    info = check_token(request.app.state.records.client, credentials.credentials)
    if info is None:
        raise HTTPException(401, "unknown token; create one with `autoloop token create`", {"WWW-Authenticate": "Bearer"})
    return info.owner


Owner = Annotated[str, Depends(owner)]
