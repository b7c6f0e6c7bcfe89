"""Owner queues: one RQ queue of loop runs per owner (tenant), served round-robin by the workers.

With one shared queue, a tenant who submits 50 studies puts every other tenant's run behind
its backlog. With a queue per owner, a worker takes its next run from the owners in turn,
so a tenant's single run waits for at most one run of each other owner per worker.

Workers learn the owners' queues from a Redis set (``keys.run_queues()``) before each dequeue.
A worker blocked in its dequeue also listens on its own wake-up list; registering a new
owner's queue pushes an entry onto the wake-up list of every live worker, so the new queue
is served at once. A worker registers itself (RQ's worker registry) before its first look
at the set, so no worker misses a queue registered while it starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rq import Queue, Worker
from rq.serializers import JSONSerializer
from rq.worker_registration import get_keys

from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis

# A wake-up list of a worker that died unnoticed expires instead of staying in Redis.
WAKEUP_TTL_S = 3600
WAKEUP_ENTRY = "queues-changed"


def owner_queue(client: redis.Redis, owner: str) -> Queue:
    """The RQ queue of ``owner``'s loop runs (JSON entries)."""
    if not owner:
        raise ValueError(f"an owner queue needs an owner id, got {owner=}")
    return Queue(keys.run_queue(owner), connection=client, serializer=JSONSerializer)


def register_queue(client: redis.Redis, queue_name: str) -> None:
    """Make ``queue_name`` known to the workers; the first time, wake every live worker."""
    if not client.sadd(keys.run_queues(), queue_name):
        return
    with client.pipeline(transaction=False) as pipe:
        for worker_key in sorted(get_keys(connection=client)):
            wakeup = Queue.redis_queue_namespace_prefix + keys.worker_wakeup(worker_key.removeprefix(Worker.redis_worker_namespace_prefix))
            pipe.rpush(wakeup, WAKEUP_ENTRY)
            pipe.expire(wakeup, WAKEUP_TTL_S)
        pipe.execute()


def queue_names(client: redis.Redis) -> list[str]:
    """Names of every registered owner queue, sorted."""
    return sorted(name.decode() if isinstance(name, bytes) else name for name in client.smembers(keys.run_queues()))
