"""Trusted sandbox entry: play a candidate policy for a whole rollout inside one sandboxed call.

The emulator, the RAM object extraction and the per-step policy call all run in the
sandboxed child, so the per-step cost is one Python function call, not a process round
trip. What comes back is plain data: episode returns, aggregate counts and a bounded
sample of recorded steps (every reward or life change plus evenly spaced samples).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autoloop.sandbox import exec_candidate
from autoloop.tasks.atari._env import AtariEnv
from autoloop.tasks.atari._games import Game, get_game
from autoloop.tasks.atari._objects import Boxes, with_motion

ENTRY_FUNCTION = "act"
# Recorded steps per rollout at most: events first, then evenly spaced samples.
MAX_EVENTS = 48
SAMPLES = 24


class InvalidActionError(ValueError):
    """The policy returned something that is not an action of the game."""


def action_lookup(names: list[str], aliases: dict[str, str]) -> dict[Any, int]:
    """Accepted policy outputs -> minimal-action-set index: names (any case), aliases, indices."""
    lookup: dict[Any, int] = {}
    for index, name in enumerate(names):
        lookup[name] = lookup[name.lower()] = lookup[index] = index
    for alias, target in aliases.items():
        if target in names:
            lookup[alias] = lookup[alias.lower()] = names.index(target)
    return lookup


def play(
    source: str,
    game: str,
    seed: int,
    episodes: int,
    max_steps: int,
    horizon: int | None = None,
    resume: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``act(objects)`` from ``source`` on ``game``.

    Args:
        source: The candidate module; it must define ``act(objects) -> action``.
        game: Game name (``Pong``, ...).
        seed: Instance seed: seeds the random start of every episode.
        episodes: Episodes to play when ``horizon`` is ``None`` (an evaluation).
        max_steps: Step cap of one episode.
        horizon: Play this many steps of one episode instead (a training segment).
        resume: Where a segment starts: ``{"episode", "t", "state"}`` from the previous segment's
            ``resume``; ``state`` is ``None`` to start episode ``episode`` afresh.

    Returns:
        ``returns`` (one per finished or capped episode), ``steps``, ``lives_lost``,
        ``actions`` (name -> count), ``records`` (sampled steps), ``names`` (action names),
        and for a segment ``resume``, where the next segment of this seed starts.

    Raises:
        InvalidActionError: ``act`` returned an unknown action (the sandbox reports it).
    """
    spec = get_game(game)
    act = exec_candidate(source).get(ENTRY_FUNCTION)
    if not callable(act):
        raise InvalidActionError(f"the policy must define a function {ENTRY_FUNCTION}(objects) returning an action")
    env = AtariEnv(spec.rom, seed)
    planned = horizon if horizon is not None else episodes * max_steps
    log = _Log(stride=max(1, planned // SAMPLES), counts=[0] * len(env.actions))
    episode, start_t, state = (resume["episode"], resume["t"], resume["state"]) if resume else (0, 0, None)
    while len(log.returns) < (1 if horizon is not None else episodes):
        if state is not None:
            env.restore(state)
        else:
            env.reset(episode)
        end = min(max_steps, start_t + horizon) if horizon is not None else max_steps
        t = _episode(env, spec, act, log, episode, start_t, end)
        if env.game_over() or t >= max_steps:
            episode, start_t, state = episode + 1, 0, None
        else:
            start_t, state = t, env.save()
    return {
        "returns": log.returns,
        "steps": log.steps,
        "lives_lost": log.lives_lost,
        "actions": {name: n for name, n in zip(env.action_names, log.counts, strict=True) if n},
        "names": env.action_names,
        "records": log.records,
        "resume": {"episode": episode, "t": start_t, "state": state},
    }


@dataclass
class _Log:
    """What a rollout accumulates: returns, counts and the sampled step records."""

    stride: int
    counts: list[int]
    returns: list[float] = field(default_factory=list)
    records: list[tuple[int, int, dict[str, Any], int, float, int, bool]] = field(default_factory=list)
    lives_lost: int = 0
    steps: int = 0


def _episode(env: AtariEnv, spec: Game, act: Callable[[Any], Any], log: _Log, episode: int, t: int, end: int) -> int:
    """Play from step ``t`` of ``episode`` until ``end`` or game over; returns the step reached."""
    lookup = action_lookup(env.action_names, dict(spec.aliases))
    extract, values = spec.extract, spec.values
    # Bound methods, looked up once: this loop is the per-step overhead the benchmark measures.
    step, ram_of, lives_of, game_over, actions = env.ale.act, env.ram, env.ale.lives, env.ale.game_over, env.actions

    def observe(boxes: Boxes, prev_boxes: Boxes, ram: list[int]) -> dict[str, dict[str, int]]:
        objects = with_motion(boxes, prev_boxes)
        if values is not None:
            for name, value in values(ram).items():
                objects[name]["value"] = value
        return objects

    ram = prev_ram = ram_of()
    boxes, prev_boxes = extract(ram, prev_ram), {}
    lives, total = lives_of(), 0.0
    while t < end and not game_over():
        action = act(observe(boxes, prev_boxes, ram))
        try:
            index = lookup[action]
        except (KeyError, TypeError):
            raise InvalidActionError(
                f"{ENTRY_FUNCTION} returned {action!r}; return one of {env.action_names} "
                f"(or an index 0..{len(env.action_names) - 1})"
            ) from None
        reward = step(actions[index])
        log.counts[index] += 1
        now = lives_of()
        event = (reward or now != lives) and len(log.records) < MAX_EVENTS
        if event or log.steps % log.stride == 0:
            log.records.append((episode, t, observe(boxes, prev_boxes, ram), index, reward, now, now < lives))
        log.lives_lost += now < lives
        lives, total, t, log.steps = now, total + reward, t + 1, log.steps + 1
        prev_ram, ram = ram, ram_of()
        prev_boxes, boxes = boxes, extract(ram, prev_ram)
    log.returns.append(total)
    return t
