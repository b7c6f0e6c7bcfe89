"""Every checkpoint store passes ``CheckpointStoreContract``: the file store and the Redis store (real Redis)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoloop.checkpoints import FileCheckpointStore, RedisCheckpointStore
from autoloop.errors import StoreError
from autoloop.redisdb import EmbeddedRedis, keys
from autoloop.testing.checkpoint_stores import (
    CheckpointStoreContract,
    StoreCase,
    full_checkpoint,
)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[EmbeddedRedis]:
    """One embedded Redis for the module; each case flushes it."""
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        yield server


def _file_case(tmp_path: Path) -> StoreCase:
    store = FileCheckpointStore(tmp_path / "checkpoints")
    return StoreCase(store, lambda run_id, raw: store._path(run_id).write_bytes(raw))


def _redis_case(server: EmbeddedRedis, ttl_s: int | None) -> StoreCase:
    client = server.client()
    client.flushdb()
    return StoreCase(RedisCheckpointStore(client, ttl_s=ttl_s), lambda run_id, raw: client.set(keys.checkpoint(run_id), raw))


@pytest.fixture(
    params=[
        "file",
        pytest.param("redis", marks=pytest.mark.integration),
        pytest.param("redis-ttl", marks=pytest.mark.integration),
    ]
)
def store_case(request: pytest.FixtureRequest, tmp_path: Path) -> StoreCase:
    if request.param == "file":
        return _file_case(tmp_path)
    server = request.getfixturevalue("redis_server")
    return _redis_case(server, ttl_s=3600 if request.param == "redis-ttl" else None)


class TestCheckpointStores(CheckpointStoreContract):
    pass


# Beyond the contract: what only one implementation promises.


def test_file_store_never_writes_outside_its_root(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path / "root")
    for run_id in ("../escape", "a/b", "/abs"):
        with pytest.raises(StoreError, match="may only hold"):
            store.save(run_id, full_checkpoint())
    assert [p.name for p in tmp_path.iterdir()] == ["root"]
    assert list((tmp_path / "root").iterdir()) == []


def test_file_store_error_names_the_fix(tmp_path: Path) -> None:
    case = _file_case(tmp_path)
    case.write_raw("r1", b"{not json")
    with pytest.raises(StoreError, match="delete it to start the run afresh"):
        case.store.load("r1")


@pytest.mark.integration
def test_redis_store_expires_checkpoints_and_names_the_fix(redis_server: EmbeddedRedis) -> None:
    case = _redis_case(redis_server, ttl_s=60)
    case.store.save("r1", full_checkpoint())
    assert 0 < redis_server.client().ttl(keys.checkpoint("r1")) <= 60
    case.write_raw("r2", b"{not json")
    with pytest.raises(StoreError, match="delete the key"):
        case.store.load("r2")
    with pytest.raises(ValueError, match="ttl_s"):
        RedisCheckpointStore(redis_server.client(), ttl_s=0)
