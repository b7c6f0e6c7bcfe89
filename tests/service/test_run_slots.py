"""RunSlots: an owner's runs at once over every worker, claimed atomically, kept by refreshes, lost by a dead worker."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq.worker_registration import REDIS_WORKER_KEYS

from autoloop.executors import RunSlots
from autoloop.redisdb import EmbeddedRedis

pytestmark = pytest.mark.integration


@pytest.fixture
def client() -> Iterator[object]:
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        yield server.client()


def test_an_owner_gets_at_most_its_cap_and_a_released_slot_is_free_again(client) -> None:
    slots = RunSlots(client)
    slots.set_cap(2)
    assert [slots.claim("a", f"job-{i}") for i in range(3)] == [True, True, False]
    assert slots.claim("a", "job-0")  # a holder claiming again keeps its slot
    assert slots.claim("b", "job-9")  # owners do not share slots
    slots.release("a", "job-1")
    assert slots.claim("a", "job-2") and sorted(slots.holders("a")) == ["job-0", "job-2"]


def test_the_default_cap_leaves_one_live_worker_to_the_other_owners(client) -> None:
    slots = RunSlots(client)
    slots.set_cap(0)
    client.sadd(REDIS_WORKER_KEYS, "rq:worker:w1", "rq:worker:w2", "rq:worker:w3")
    assert [slots.claim("a", f"job-{i}") for i in range(3)] == [True, True, False]
    client.srem(REDIS_WORKER_KEYS, "rq:worker:w2", "rq:worker:w3")
    assert slots.claim("b", "job-b") and not slots.claim("b", "job-c")  # one worker: still one run each


def test_a_refreshed_slot_outlives_its_ttl_and_a_dead_workers_slot_expires(client) -> None:
    slots = RunSlots(client, ttl_s=1)
    slots.set_cap(1)
    assert slots.claim("a", "alive")
    deadline = time.monotonic() + 2.5  # longer than the TTL: only the refreshes keep it
    while time.monotonic() < deadline:
        slots.refresh("a", "alive")
        assert not slots.claim("a", "other")
        time.sleep(0.2)
    assert slots.holders("a") == ["alive"]
    # The holder stops refreshing (its worker died): the slot frees itself within the TTL.
    deadline = time.monotonic() + 5
    while not slots.claim("a", "other"):
        assert time.monotonic() < deadline, "the dead holder's slot never expired"
        time.sleep(0.1)
