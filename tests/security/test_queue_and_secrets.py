"""The job queue runs autoloop's job function only; stored keys are encrypted with the server key."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from autoloop.errors import ConfigError
from autoloop.executors import owner_queue, register_queue
from autoloop.redisdb import EmbeddedRedis, StudySecrets, keys
from tests.service.conftest import Cluster, cluster, wait_for  # noqa: F401 - the cluster fixture

KEY = "sk-tenant-0123456789abcdef"


@pytest.mark.integration
def test_a_worker_runs_no_function_but_autoloops_own_and_unpickles_nothing(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_worker(processes=1)
    redis = cluster.redis()
    marker = tmp_path / "pwned"
    # Someone who can write to the queue names another function (JSON, as autoloop's own entries are) ...
    queue = owner_queue(redis, "mallory")
    register_queue(redis, queue.name)
    named = queue.enqueue_call("os.system", args=(f"touch {marker}",))
    # ... or writes a pickled entry, which would run code while being read.
    pickled = Queue(queue.name, connection=redis).enqueue_call("os.system", args=(f"touch {marker}",))
    for job_id in (named.id, pickled.id):
        wait_for(lambda j=job_id: Job.fetch(j, connection=redis, serializer=JSONSerializer).get_status() == JobStatus.FAILED, 60, job_id)
    assert not marker.exists()
    assert "ForbiddenJobError" in Job.fetch(named.id, connection=redis, serializer=JSONSerializer).exc_info


@pytest.mark.integration
def test_stored_keys_are_encrypted_and_need_the_server_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOLOOP_SECRET_KEY", raising=False)
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        service = StudySecrets(client, create_key=True, home=tmp_path / "service")
        secret_id = service.put("s1", "tenant", KEY)
        assert KEY.encode() not in client.hget(keys.study_secrets("s1"), "tenant")
        assert service.get(secret_id) == KEY
        assert (tmp_path / "service" / "secret.key").stat().st_mode & 0o077 == 0  # the key file is private
        with pytest.raises(ConfigError, match="AUTOLOOP_SECRET_KEY"):  # a worker without the key cannot read it
            StudySecrets(client, home=tmp_path / "worker").get(secret_id)
        other = StudySecrets(client, create_key=True, home=tmp_path / "other")
        with pytest.raises(ConfigError, match="cannot be decrypted"):  # nor can one with another key
            other.get(secret_id)
