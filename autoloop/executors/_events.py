"""Run events through Redis: a stream per study, terminal outcomes recorded once per run.

Workers publish; the executor in the service reads. A terminal event (``done``,
``stopped`` or ``failed``) is written with HSETNX into the study's run hash and appended to the stream
in one Lua script, so a run that executes twice (a retried job of a dead worker that had
in fact finished) is never counted twice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from autoloop.executors._base import RunEvent
from autoloop.redisdb import keys

if TYPE_CHECKING:
    import redis

# Progress events kept per study stream (approximate trim); terminal outcomes live in the run hash.
STREAM_MAXLEN = 20_000

# KEYS: run hash, event stream, live hash. ARGV: run id, event JSON, live JSON.
_RECORD_TERMINAL = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'event', ARGV[2])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
  return 1
end
return 0
"""


def live_entry(state: str, event: RunEvent | None = None, *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The per-run summary the study's progress is computed from."""
    entry = dict(previous or {})
    entry["state"] = state
    if event is not None and event.progress is not None:
        p = event.progress
        entry.update(iteration=p.iteration, iterations=p.iterations, best_val=p.best_val, tokens=p.tokens, failures=p.failures.to_dict())
    if event is not None and event.result is not None:
        r = event.result
        entry.update(
            iteration=r.iterations, best_val=r.best_val, revalidation=r.revalidation, tokens=r.tokens,
            failures=r.failures.to_dict(),
        )
    return entry


class EventPublisher:
    """What a worker uses to report the events of one run.

    Args:
        client: Redis client.
        study_id: The study the run belongs to.
    """

    def __init__(self, client: redis.Redis, study_id: str) -> None:
        self.client = client
        self.study_id = study_id
        self._record = client.register_script(_RECORD_TERMINAL)
        self._live: dict[str, Any] = {}

    def started(self, run_id: str) -> None:
        """Mark the run as running (before its first iteration)."""
        raw = self.client.hget(keys.study_live(self.study_id), run_id)
        self._live = json.loads(raw) if raw else {}
        self._live = live_entry("running", previous=self._live)
        self.client.hset(keys.study_live(self.study_id), run_id, json.dumps(self._live))

    def emit(self, event: RunEvent) -> bool:
        """Publish ``event``; returns False for a terminal event already recorded (a duplicate)."""
        if not event.terminal:
            self._live = live_entry("running", event, previous=self._live)
            with self.client.pipeline(transaction=True) as pipe:
                pipe.xadd(keys.study_events(self.study_id), {"event": event.to_json()}, maxlen=STREAM_MAXLEN, approximate=True)
                pipe.hset(keys.study_live(self.study_id), event.run_id, json.dumps(self._live))
                pipe.execute()
            return True
        self._live = live_entry(event.kind, event, previous=self._live)
        script_keys = [keys.study_runs(self.study_id), keys.study_events(self.study_id), keys.study_live(self.study_id)]
        args = [event.run_id, event.to_json(), json.dumps(self._live), STREAM_MAXLEN]
        return bool(self._record(keys=script_keys, args=args))


def recorded(client: redis.Redis, study_id: str, run_id: str) -> RunEvent | None:
    """The terminal event a run already recorded, if any."""
    raw = client.hget(keys.study_runs(study_id), run_id)
    return RunEvent.from_json(raw) if raw is not None else None
