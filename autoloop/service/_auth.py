"""API tokens: created once by ``autoloop token create``, stored only as sha256 digests."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autoloop.errors import ConfigError
from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis

TOKEN_PREFIX = "al_"


@dataclass(frozen=True)
class TokenInfo:
    """Who a token belongs to.

    Args:
        owner: Owner id; studies are keyed by it.
        name: Label given at creation.
    """

    owner: str
    name: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(client: redis.Redis, name: str = "default") -> str:
    """Make a new token (with a new owner) and return it; it cannot be shown again.

    Args:
        client: Redis client.
        name: A label, e.g. the user's name.
    """
    if not name or len(name) > 100:
        raise ConfigError(f"token name must be 1-100 characters, got {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    owner = secrets.token_hex(8)
    client.hset(keys.token(_digest(token)), mapping={"owner": owner, "name": name, "created_at": time.time()})
    return token


def check_token(client: redis.Redis, token: str) -> TokenInfo | None:
    """The owner of ``token``, or ``None`` for an unknown token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    data = client.hgetall(keys.token(_digest(token)))
    if not data:
        return None
    return TokenInfo(owner=data[b"owner"].decode(), name=data[b"name"].decode())
