"""The trusted rollout: emulator, step loop and reward accounting, outside the candidate.

``play`` runs in the task's own process. At each step it extracts the RAM objects and asks
a policy for the action: ``SessionPolicy`` forwards the objects to the candidate's
``act(objects)``, which runs confined in a sandbox session (``_runner.serve_policy``), and
decodes the answer; ``play`` checks it against the game's actions. So the candidate cannot
reach the returns, the emulator or this loop: it only chooses actions. What ``play``
returns is plain data: episode returns, aggregate counts and a bounded sample of recorded
steps (every reward or life change plus evenly spaced samples).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autoloop.tasks.atari._env import AtariEnv
from autoloop.tasks.atari._games import Game, get_game
from autoloop.tasks.atari._objects import Observer
from autoloop.tasks.atari._runner import ENTRY_FUNCTION, MAX_ACTION_CHARS, MAX_REPR_CHARS, START, STEP

if TYPE_CHECKING:
    from autoloop.sandbox import Session

# Recorded steps per rollout at most: events first, then evenly spaced samples.
MAX_EVENTS = 48
SAMPLES = 24


class InvalidActionError(ValueError):
    """The policy returned something that is not an action of the game."""


class PolicyError(Exception):
    """The confined policy stopped answering: it raised, timed out or crashed."""


class _Unrecognized:
    """An action the child could only describe (its repr): never a key of the lookup."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


# policy(ram, first) -> action: the action at the step whose console RAM is ``ram``; ``first``
# marks the first step of a segment (no motion yet).
Policy = Callable[[bytes, bool], Any]


class SessionPolicy:
    """A ``Policy`` answered by the candidate's ``act`` in a sandbox session.

    The child turns the RAM into objects itself (``_runner.serve_policy``), so a step costs
    one round trip of about 130 bytes each way and no encoding of the object dicts.

    Args:
        session: The session running ``_runner.serve_policy`` on the candidate.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, ram: bytes, first: bool) -> Any:
        reply = self.session.exchange((START if first else STEP) + ram)
        if reply is None:
            outcome = self.session.outcome
            raise PolicyError((outcome.error if outcome else None) or "the policy stopped answering")
        return decode_action(reply)


def decode_action(message: bytes) -> Any:
    """The action ``_runner.encode_action`` sent: a name, an index, or something to reject."""
    tag, body = message[:1], message[1:]
    text = body.decode("utf-8", errors="replace")
    if tag == b"s" and len(text) <= MAX_ACTION_CHARS:
        return text
    if tag == b"i" and len(body) <= 12 and body.lstrip(b"-").isdigit():
        return int(body)
    return _Unrecognized(text[:MAX_REPR_CHARS] if tag == b"r" else f"<{len(message)} unreadable bytes>")


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
    policy: Policy,
    game: str,
    seed: int,
    episodes: int,
    max_steps: int,
    horizon: int | None = None,
    resume: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Play ``policy`` on ``game``: the emulator, the step loop and the reward accounting.

    Args:
        policy: The policy, usually a ``SessionPolicy``; it is only ever given the RAM.
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
        InvalidActionError: The policy returned an unknown action.
        PolicyError: A ``SessionPolicy`` stopped answering.
    """
    spec = get_game(game)
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
        t = _episode(env, spec, policy, log, episode, start_t, end)
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


def _episode(env: AtariEnv, spec: Game, policy: Policy, log: _Log, episode: int, t: int, end: int) -> int:
    """Play from step ``t`` of ``episode`` until ``end`` or game over; returns the step reached."""
    lookup = action_lookup(env.action_names, dict(spec.aliases))
    # Objects are extracted here only for the recorded steps; the policy's side extracts its own.
    observer = Observer(spec.extract, spec.values)
    # Bound methods, looked up once: this loop is the per-step overhead the benchmark measures.
    step, ram_of, lives_of, game_over, actions = env.ale.act, env.ale.getRAM, env.ale.lives, env.ale.game_over, env.actions
    ram = ram_of().tobytes()
    observer.start(ram)
    lives, total, first = lives_of(), 0.0, True
    while t < end and not game_over():
        action = policy(ram, first)
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
            log.records.append((episode, t, observer.objects(), index, reward, now, now < lives))
        log.lives_lost += now < lives
        lives, total, t, log.steps, first = now, total + reward, t + 1, log.steps + 1, False
        ram = ram_of().tobytes()
        observer.advance(ram)
    log.returns.append(total)
    return t
