"""A checkpoint store in Redis: what lets a loop run resume on any worker after a crash."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from autoloop.checkpoints._store import Checkpoint, CheckpointStore
from autoloop.errors import ConfigError, StoreError
from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis


class RedisCheckpointStore(CheckpointStore):
    """Checkpoints as JSON strings under ``autoloop:run:<run_id>:checkpoint``.

    Args:
        client: A ``redis.Redis`` client (see ``autoloop.redisdb.connect``).
        ttl_s: Expire checkpoints this long after their last write (``None`` = keep).
    """

    def __init__(self, client: redis.Redis, *, ttl_s: int | None = None) -> None:
        if ttl_s is not None and ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive or None, got {ttl_s=}")
        self.client = client
        self.ttl_s = ttl_s

    def save(self, run_id: str, checkpoint: Checkpoint) -> None:
        self.client.set(keys.checkpoint(run_id), json.dumps(checkpoint.to_dict()), ex=self.ttl_s)

    def load(self, run_id: str) -> Checkpoint | None:
        raw = self.client.get(keys.checkpoint(run_id))
        if raw is None:
            return None
        try:
            return Checkpoint.from_dict(json.loads(raw))
        # ValueError: malformed JSON or bytes that are not UTF-8; TypeError, ConfigError: JSON of another shape.
        except (ValueError, TypeError, ConfigError) as exc:
            raise StoreError(f"checkpoint of run {run_id!r} in Redis is unreadable ({exc}); delete the key to start afresh") from exc
