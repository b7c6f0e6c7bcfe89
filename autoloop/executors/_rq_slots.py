"""RunSlots: how many loop runs of one owner (tenant) run at once, over every worker.

Round-robin dequeueing keeps one tenant's backlog from starving another's queue, but not its
*running* runs: a tenant whose runs hang (an LLM endpoint that never answers) would hold every
worker. So a worker that takes a run off an owner's queue first claims one of that owner's
slots; with none free it puts the run back at the head of its queue and serves the other
owners. The cap comes from the service (``AUTOLOOP_MAX_RUNS``, published in Redis); 0 means the
live workers minus one, at least one, so one tenant always leaves a worker to the others.

A slot is a member of a sorted set per owner whose score is its expiry: the worker holding it
refreshes it while the run goes on (``refresh``) and gives it back when the run ends
(``release``); a worker that dies loses its slots within ``SLOT_TTL_S``. Claims are one Lua
script, so two workers can never both take the last slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rq.worker_registration import REDIS_WORKER_KEYS

from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis

# A slot outlives its last refresh by this long; workers refresh every few seconds.
SLOT_TTL_S = 15
REFRESH_S = 2.0
_CAP_FIELD = "max_runs"

_CLAIM = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cap = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0') or 0
if cap <= 0 then cap = math.max(1, redis.call('SCARD', KEYS[3]) - 1) end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class RunSlots:
    """Per-owner slots of running loop runs, shared by every worker of one Redis.

    Args:
        client: Redis client.
        ttl_s: How long a slot outlives its last refresh.
    """

    def __init__(self, client: redis.Redis, *, ttl_s: int = SLOT_TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._claim = client.register_script(_CLAIM)

    def set_cap(self, cap: int) -> None:
        """Runs of one owner at once (0: the live workers minus one, at least 1)."""
        if cap < 0:
            raise ValueError(f"a run cap is >= 0, got {cap=}")
        self.client.hset(keys.tenant_limits(), _CAP_FIELD, cap)

    def claim(self, owner: str, job_id: str) -> bool:
        """Take a slot of ``owner`` for ``job_id`` (True), or find them all taken (False)."""
        args = (job_id, self.ttl_s, _CAP_FIELD)
        return bool(self._claim(keys=[keys.running_runs(owner), keys.tenant_limits(), REDIS_WORKER_KEYS], args=args))

    def refresh(self, owner: str, job_id: str) -> None:
        """Keep ``job_id``'s slot for another ``ttl_s`` (only if it still holds one), and the owner's set with it."""
        key = keys.running_runs(owner)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {job_id: _server_time(self.client) + self.ttl_s}, xx=True)
            pipe.expire(key, self.ttl_s)
            pipe.execute()

    def release(self, owner: str, job_id: str) -> None:
        """Give ``job_id``'s slot back."""
        self.client.zrem(keys.running_runs(owner), job_id)

    def holders(self, owner: str) -> list[str]:
        """Job ids holding a slot of ``owner`` now."""
        live = self.client.zrangebyscore(keys.running_runs(owner), _server_time(self.client), "+inf")
        return [j.decode() if isinstance(j, bytes) else j for j in live]


def _server_time(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1e6
