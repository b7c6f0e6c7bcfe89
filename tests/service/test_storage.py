"""Embedded Redis, tokens, and the RQ executor's bookkeeping (no workers).

The Redis checkpoint store and the RQ executor with a worker: ``tests/contracts/``.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from rq import Queue
from rq.serializers import JSONSerializer

from autoloop.executors import JOB_FUNCTION, LoopJob, RQExecutor, RunEvent, owner_queue, rq_job_id
from autoloop.executors._events import EventPublisher
from autoloop.loop import RunProgress
from autoloop.outcome import RunOutcome
from autoloop.redisdb import EmbeddedRedis, keys
from autoloop.service import StudyRecords, check_token, create_token
from tests.toy_task import local_job

pytestmark = pytest.mark.integration
OWNER = "0123456789abcdef"


@pytest.fixture
def server() -> Iterator[EmbeddedRedis]:
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as s:
        yield s


def _job(run_id: str) -> LoopJob:
    return local_job(run_id, iterations=2)


def _result(run_id: str, best_val: float) -> RunOutcome:
    return RunOutcome(run_id, {"seed": 0}, best_val, optimizer="local", curve=((0, best_val),), iterations=2, wall_time_s=0.1)


def test_embedded_redis_is_private_and_persists(server: EmbeddedRedis) -> None:
    client = server.client()
    assert client.config_get("port")["port"] == "0"  # no TCP listener
    assert stat.S_IMODE(os.stat(server.socket).st_mode) == 0o700
    assert (server.data_dir / "redis.url").read_text().strip() == server.url
    for private in ("redis.url", "redis.password", "redis.conf"):
        assert stat.S_IMODE(os.stat(server.data_dir / private).st_mode) == 0o600, private
    with pytest.raises(redis_lib.AuthenticationError):  # the socket alone is not enough: a password is required
        redis_lib.Redis(unix_socket_path=str(server.socket)).ping()
    client.set("k", "v")
    server.stop()
    assert not (server.data_dir / "redis.url").exists()
    with pytest.raises(redis_lib.ConnectionError):
        redis_lib.Redis(unix_socket_path=str(server.socket)).ping()
    server.start()
    assert server.client().get("k") == b"v"  # replayed from the append-only file


def test_tokens_are_stored_hashed(server: EmbeddedRedis) -> None:
    client = server.client()
    token = create_token(client, "alice")
    info = check_token(client, token)
    assert info is not None and info.name == "alice"
    assert check_token(client, token + "x") is None
    dump = b"".join(k + b"".join(client.hvals(k)) for k in client.keys("*"))
    assert token.encode() not in dump


def test_terminal_outcome_is_recorded_once(server: EmbeddedRedis) -> None:
    client = server.client()
    publisher = EventPublisher(client, "s1")
    done = RunEvent("r1", "done", result=_result("r1", 1.0))
    assert publisher.emit(done)
    assert not publisher.emit(done)  # a re-run of a finished job does not count again
    assert not publisher.emit(RunEvent("r1", "failed", error="late"))
    assert client.hlen(keys.study_runs("s1")) == 1
    assert client.xlen(keys.study_events("s1")) == 1


def test_a_new_executor_reports_what_happened_meanwhile_and_never_enqueues_twice(server: EmbeddedRedis) -> None:
    client = server.client()
    first = RQExecutor(client, "s1", owner=OWNER)
    first.submit(_job("r1"))
    first.submit(_job("r2"))
    assert owner_queue(client, OWNER).count == 2
    publisher = EventPublisher(client, "s1")  # what a worker would publish
    publisher.emit(RunEvent("r1", "progress", progress=RunProgress(1, 2, 0.5, 0.5, 0)))
    publisher.emit(RunEvent("r1", "done", result=_result("r1", 0.5)))
    assert [(e.run_id, e.kind) for e in first.events(1.0)] == [("r1", "progress"), ("r1", "done")]
    # The service restarts; r2 progressed and finished while it was down; r3 is new.
    publisher.emit(RunEvent("r2", "progress", progress=RunProgress(1, 2, 0.6, 0.6, 0)))
    publisher.emit(RunEvent("r2", "done", result=_result("r2", 0.7)))
    second = RQExecutor(client, "s1", owner=OWNER)
    second.submit(_job("r2"))  # the controller resubmits what it has no outcome for
    second.submit(_job("r3"))
    events = second.events(1.0)
    assert [(e.run_id, e.kind) for e in events] == [("r2", "done")]  # the recorded outcome, once
    assert events[0].result is not None and events[0].result.best_val == 0.7
    assert second.events(0.1) == []
    assert owner_queue(client, OWNER).count == 3  # only r3 was enqueued again


def test_a_run_queued_on_the_old_shared_queue_moves_to_its_owners_queue(server: EmbeddedRedis) -> None:
    client = server.client()
    legacy = Queue("autoloop-runs", connection=client, serializer=JSONSerializer)  # before per-owner queues
    legacy.enqueue_call(JOB_FUNCTION, args=({},), job_id=rq_job_id("s1", "r1"))
    RQExecutor(client, "s1", owner=OWNER).submit(_job("r1"))
    assert legacy.count == 0
    assert owner_queue(client, OWNER).job_ids == [rq_job_id("s1", "r1")]


def test_stop_drops_a_queued_run(server: EmbeddedRedis) -> None:
    client = server.client()
    executor = RQExecutor(client, "s1", owner=OWNER)
    executor.submit(_job("r1"))
    executor.stop("r1")
    events = executor.events(1.0)
    assert [(e.run_id, e.kind, e.error) for e in events] == [("r1", "stopped", "stopped before it started")]
    assert owner_queue(client, OWNER).count == 0
    assert json.loads(client.hget(keys.study_live("s1"), "r1"))["state"] == "stopped"


def test_a_studys_progress_reads_what_an_earlier_autoloop_stored(server: EmbeddedRedis) -> None:
    client = server.client()
    old_setting = {"settings": {"batch_size": 1}, "runs": 2, "runs_done": 1, "mean_val": -0.5, "allocation": 1.0}  # no "mean" yet
    record = {"metric": "rmse", "higher_is_better": "0", "stage": "search", "trials": '{"complete": 1}', "iteration_budget": "8",
              "settings_progress": json.dumps([old_setting])}
    live = {"r1": {"state": "done", "iteration": 2, "best_val": -0.5, "revalidation": -0.6, "tokens": 3},
            "r2": {"state": "running", "iteration": 1, "best_val": -0.8, "tokens": 1}}
    client.hset(keys.study_live("s1"), mapping={k: json.dumps(v) for k, v in live.items()})
    progress = StudyRecords(client).progress("s1", record)
    assert (progress.runs_done, progress.runs_running, progress.iterations, progress.tokens) == (1, 1, 3, 4)
    assert (progress.best, progress.revalidation, progress.trials) == (0.5, 0.6, {"complete": 1})
    (setting,) = progress.settings
    assert (setting.mean_val, setting.mean, setting.runs_done) == (-0.5, 0.5, 1)
