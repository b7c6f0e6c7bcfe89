"""``autoloop serve``: the HTTP API, with an embedded Redis when no ``REDIS_URL`` is set."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from autoloop.errors import ConfigError
from autoloop.redisdb import EmbeddedRedis, connect
from autoloop.service._app import create_app
from autoloop.service._operator import OperatorSettings
from autoloop.service._plugins import load_plugins
from autoloop.service._quotas import publish_run_cap
from autoloop.service._runner import StudyRunner

logger = logging.getLogger(__name__)

# Retries of a Redis command inside an HTTP request (about 0.3 s) before the API answers 503.
API_REDIS_ATTEMPTS = 3


@dataclass(frozen=True)
class ServeOptions:
    """Where the service listens and keeps its state.

    Args:
        data_dir: Embedded Redis files (socket, append-only file) live here.
        host: Interface to bind (default loopback only).
        port: TCP port.
        redis_url: External Redis (``None`` = ``$REDIS_URL``, else the embedded server).
        optuna_storage: RDB URL for the Optuna studies (``None`` = in Redis).
    """

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    optuna_storage: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port must be in 1..65535, got {self.port}")


# Everything the service writes (its lock, uploaded datasets) is readable by its user only.
SERVICE_UMASK = 0o077


@contextlib.contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    """One embedded service per data directory: a second ``autoloop serve`` fails fast."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(data_dir / "service.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"another `autoloop serve` uses {data_dir}; stop it or pass another --data-dir") from None
        yield


@contextlib.contextmanager
def redis_for(options: ServeOptions) -> Iterator[str]:
    """The Redis URL to use: the external one, or an embedded server running for the block."""
    url = options.redis_url or os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with _exclusive(options.data_dir), EmbeddedRedis(options.data_dir) as server:
        server.supervise()
        yield server.url


def _exit(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(options: ServeOptions) -> int:
    """Run the service until SIGINT/SIGTERM; studies in flight resume at the next start."""
    load_plugins()
    os.umask(SERVICE_UMASK)
    settings = OperatorSettings.from_env(home=options.data_dir)
    # uvicorn shuts down gracefully, then re-raises the signal it caught under the handler
    # found at start: make that an exit that unwinds the blocks below (Redis is stopped).
    signal.signal(signal.SIGTERM, _exit)
    with redis_for(options) as url:
        # Study runners ride out a Redis restart; request handlers answer 503 within a second.
        runner = StudyRunner(connect(url), url, optuna_storage=options.optuna_storage, settings=settings)
        publish_run_cap(runner.client, settings)
        app = create_app(connect(url, attempts=API_REDIS_ATTEMPTS), runner)
        where = "embedded Redis in " + str(options.data_dir) if url.startswith("unix://") else "Redis from REDIS_URL"
        logger.info("autoloop service: %s is up; operator settings %s; starting the API on http://%s:%d", where, settings.describe(),
                    options.host, options.port)
        _listen(app, options.host, options.port)
    return 0


def _listen(app: object, host: str, port: int) -> None:
    """Serve ``app`` with uvicorn until stopped, logging once it listens (uvicorn's own lines are below our level)."""
    import uvicorn

    class ReadyServer(uvicorn.Server):
        async def startup(self, sockets: list | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                logger.info("autoloop service ready: listening on http://%s:%d", host, port)

    ReadyServer(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
