"""StudySecrets: API keys the service keeps for a study's runs, in Redis, never in a job.

A job names a key as ``secret:<study id>/<name>`` (see ``autoloop.llm.resolve_secret``);
the RQ workers and the service look it up here. The keys of a study are deleted with its
terminal state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autoloop.errors import ConfigError
from autoloop.redisdb import _keys as keys

if TYPE_CHECKING:
    import redis


class StudySecrets:
    """The per-study secret hashes (``study:<id>:secrets``).

    Args:
        client: Redis client.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def secret_id(study_id: str, name: str) -> str:
        """The id of the study's secret ``name``: ``<study id>/<name>``."""
        if not name or "/" in name:
            raise ConfigError(f"a secret name must be non-empty without '/', got {name=}")
        return f"{study_id}/{name}"

    def put(self, study_id: str, name: str, value: str) -> str:
        """Store ``value`` as the study's secret ``name``; returns its id."""
        secret_id = self.secret_id(study_id, name)
        self.client.hset(keys.study_secrets(study_id), name, value)
        return secret_id

    def get(self, secret_id: str) -> str | None:
        """The value stored under ``secret_id``, or ``None``."""
        study_id, _, name = secret_id.partition("/")
        raw = self.client.hget(keys.study_secrets(study_id), name) if name else None
        return raw.decode() if isinstance(raw, bytes) else raw

    def delete(self, study_id: str) -> None:
        """Forget every secret of a study."""
        self.client.delete(keys.study_secrets(study_id))
