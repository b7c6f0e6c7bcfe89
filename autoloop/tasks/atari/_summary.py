"""Turn a rollout's plain-data result into a Trace that fits the optimizer's token budget.

A 400-step segment cannot be shown step by step. The runner already keeps only the steps
where a reward or a life changed plus evenly spaced samples; here each kept step becomes one
``Step`` (objects near the player, action, reward) and steps are dropped, samples first,
until the text fits ``budget_chars`` (about four characters a token). Aggregates (returns,
action histogram, lives lost, how many steps were left out) go into the trace feedback.
"""

from __future__ import annotations

from typing import Any

from autoloop.tasks.atari._games import Game
from autoloop.trace import Instance, Step, Trace

BUDGET_CHARS = 6000
NEAREST = 6


def describe_objects(objects: dict[str, dict[str, int]]) -> str:
    """The player and the ``NEAREST`` other objects to it, plus a count of the rest by kind."""
    player = objects.get("player")
    px, py = (player["x"], player["y"]) if player else (80, 105)
    others = sorted((n for n in objects if n != "player"), key=lambda n: abs(objects[n]["x"] - px) + abs(objects[n]["y"] - py))
    parts = [_one(name, objects[name]) for name in ([*(["player"] if player else []), *others[:NEAREST]])]
    rest: dict[str, int] = {}
    for name in others[NEAREST:]:
        kind = name.split("_")[0]
        rest[kind] = rest.get(kind, 0) + 1
    if rest:
        parts.append("+ " + ", ".join(f"{n} {kind}" for kind, n in sorted(rest.items())))
    return "; ".join(parts) or "no objects"


def _one(name: str, o: dict[str, int]) -> str:
    text = f"{name} x={o['x']} y={o['y']}"
    if o["dx"] or o["dy"]:
        text += f" d=({o['dx']:+d},{o['dy']:+d})"
    if "value" in o:
        text += f" v={o['value']}"
    return text


def _step(record: list[Any] | tuple[Any, ...], names: list[str]) -> Step:
    episode, t, objects, action, reward, lives, lost = record
    events = [f"reward {reward:+g}"] if reward else []
    if lost:
        events.append("life lost")
    feedback = ", ".join(events)
    return Step(
        input=f"[ep {episode} t={t} lives={lives}] {describe_objects(objects)}",
        output=names[action],
        feedback=feedback,
        reward=float(reward),
    )


def build_trace(
    game: Game, instance: Instance, result: dict[str, Any], *, horizon: int | None, budget_chars: int = BUDGET_CHARS
) -> Trace:
    """The Trace of one rollout: sampled steps within budget, score, staged feedback.

    The score is the summed reward of a training segment (``horizon`` set) or the mean
    episode return of an evaluation.
    """
    returns = result["returns"]
    score = sum(returns) if horizon is not None else sum(returns) / len(returns)
    steps = [_step(r, result["names"]) for r in result["records"]]
    kept = _fit(steps, budget_chars)
    actions = ", ".join(f"{name} {n}" for name, n in sorted(result["actions"].items(), key=lambda kv: -kv[1]))
    if horizon is not None:
        head = f"{result['steps']}-step segment (credit horizon {horizon}), reward {score:+g}."
    else:
        head = f"{len(returns)} episode(s), returns {[round(r, 1) for r in returns]}, mean {score:.1f}."
    feedback = (
        f"{game.name}, seed {instance.data}: {head} Lives lost: {result['lives_lost']}. Actions: {actions or 'none'}. "
        f"Showing {len(kept)} of {result['steps']} steps (every reward or life change, then samples). "
        f"{game.stage(score) if horizon is None else 'Episode-level guidance: ' + game.stage(score)}"
    )
    metrics = {"steps": float(result["steps"]), "episodes": float(len(returns)), "lives_lost": float(result["lives_lost"])}
    return Trace(instance.id, instance.split, tuple(kept), float(score), feedback=feedback, metrics=metrics)


def _fit(steps: list[Step], budget_chars: int) -> list[Step]:
    """Drop steps until the text fits: reward-free samples go first, latest first."""
    size = sum(len(s.input) + len(s.output) + len(s.feedback) for s in steps)
    order = sorted(range(len(steps)), key=lambda i: (steps[i].reward != 0, -i))
    dropped: set[int] = set()
    for i in order:
        if size <= budget_chars:
            break
        dropped.add(i)
        size -= len(steps[i].input) + len(steps[i].output) + len(steps[i].feedback)
    return [s for i, s in enumerate(steps) if i not in dropped]
