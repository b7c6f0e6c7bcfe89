"""Where autoloop finds its Redis: ``REDIS_URL``, else the embedded server of the data directory."""

from __future__ import annotations

import os
from pathlib import Path

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from autoloop.errors import StoreError

URL_FILE = "redis.url"
# Ride out a Redis restart (the service restarting its embedded server) of up to ~30 s.
RECONNECT_ATTEMPTS = 40
RECONNECT_CAP_S = 1.0


def data_home() -> Path:
    """The data directory: ``$AUTOLOOP_HOME``, else ``~/.local/share/autoloop``."""
    env = os.environ.get("AUTOLOOP_HOME")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "autoloop"


def redis_url(data_dir: Path | None = None) -> str:
    """``$REDIS_URL``, else the unix-socket URL the embedded server of ``data_dir`` wrote.

    Raises:
        StoreError: Neither is available.
    """
    env = os.environ.get("REDIS_URL")
    if env:
        return env
    path = (data_dir or data_home()) / URL_FILE
    if path.exists():
        return path.read_text().strip()
    raise StoreError(
        f"no Redis: set REDIS_URL, or start `autoloop serve` (embedded Redis) with the same data directory ({path.parent})"
    )


def connect(url: str | None = None, *, data_dir: Path | None = None, attempts: int = RECONNECT_ATTEMPTS) -> redis.Redis:
    """A Redis client that retries through short outages (e.g. a restart of the embedded server).

    Args:
        url: ``redis://``, ``rediss://`` or ``unix://`` URL; default from ``redis_url()``.
        data_dir: Data directory that holds the embedded server's URL file.
        attempts: Retries of a failed command (the default rides out about 40 s; an HTTP
            request handler wants an answer sooner, so the API passes a few).
    """
    retry = Retry(ExponentialBackoff(cap=RECONNECT_CAP_S, base=0.05), attempts)
    return redis.Redis.from_url(
        url or redis_url(data_dir),
        retry=retry,
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        health_check_interval=30,
    )
