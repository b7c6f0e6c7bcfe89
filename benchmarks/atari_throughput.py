"""Atari throughput: sandboxed policy rollouts vs raw ALE stepping, same game, same run.

For each game it alternates, ``--rounds`` times, two timed runs:

* policy: the task's own code path, ``_rollout.play`` in this (trusted) process driving the
  game's starting artifact through a ``Sandbox.session`` of ``_runner.serve_policy``, with
  an evaluation protocol of ``--episodes`` episodes of at most ``--max-steps`` steps: the
  confined child's start, ROM load, and per step RAM object extraction, one round trip to
  the child's ``act(objects)`` over the session pipes, the action check and the env step.
  Wall time of the whole session, so the sandbox's fixed cost is included;
* raw: an ``AtariEnv`` (ALE, frame skip 4) in this process, ROM load included, stepped
  with uniformly random actions for as many steps as the policy run took (a new episode
  whenever one ends).

It prints the best-of-rounds steps/s of each (as ``timeit`` does: on a shared machine the
fastest round is the least disturbed one) and their ratio (policy / raw), and the load
average around the run: a policy step is a round trip between two processes, so on an
oversubscribed machine it pays two scheduler wake-ups that raw stepping does not.

Run from the repository root::

    python benchmarks/atari_throughput.py [--games Pong,SpaceInvaders] [--episodes 4] [--max-steps 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoloop.sandbox import Limits, Sandbox
from autoloop.tasks.atari import get_game
from autoloop.tasks.atari._env import AtariEnv
from autoloop.tasks.atari._rollout import SessionPolicy, play
from autoloop.tasks.atari._runner import ENTRY
from autoloop.tasks.atari._task import PRELOAD, AtariTask


def raw_steps_per_s(rom: str, steps: int, seed: int) -> float:
    """Steps/s of random-action ALE stepping, ROM load included."""
    rng = random.Random(seed)
    start = time.perf_counter()
    env = AtariEnv(rom, seed)
    env.reset(0)
    count = len(env.actions)
    for _ in range(steps):
        env.step(rng.randrange(count))
        if env.game_over():
            env.reset(0)
    return steps / (time.perf_counter() - start)


def policy_run(sandbox: Sandbox, source: str, game: str, episodes: int, max_steps: int, seed: int) -> tuple[int, float]:
    """``(steps, steps/s)`` of one evaluation rollout of a sandboxed policy."""
    start = time.perf_counter()
    with sandbox.session(ENTRY, source, game) as session:
        result = play(SessionPolicy(session), game, seed, episodes, max_steps)
    elapsed = time.perf_counter() - start
    if not session.outcome.ok:
        raise RuntimeError(f"{game}: policy rollout failed: {session.outcome.error}")
    return result["steps"], result["steps"] / elapsed


def main() -> None:
    """Measure every requested game and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="Pong,SpaceInvaders", help="comma-separated games (default: Pong,SpaceInvaders)")
    parser.add_argument("--episodes", type=int, default=4, help="episodes per policy run (default: 4)")
    parser.add_argument("--max-steps", type=int, default=1000, help="step cap of one episode (default: 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating policy/raw rounds (default: 5)")
    parser.add_argument("--artifact", default="modular", help="starting artifact to run (default: modular)")
    args = parser.parse_args()
    print(f"{'game':<14} {'artifact':<11} {'raw steps/s':>12} {'policy steps/s':>15} {'ratio':>7}")
    with Sandbox(limits=Limits(timeout_s=120, memory_mb=1024), preload=PRELOAD) as sandbox:
        for game in args.games.split(","):
            spec = get_game(game.strip())
            source = AtariTask(spec.name).starting_artifact(args.artifact).source
            raw, policy = [], []
            for round_ in range(args.rounds):
                steps, rate = policy_run(sandbox, source, spec.name, args.episodes, args.max_steps, 2000 + round_)
                policy.append(rate)
                raw.append(raw_steps_per_s(spec.rom, steps, round_))
            best_raw, best_policy = max(raw), max(policy)
            print(f"{spec.name:<14} {args.artifact:<11} {best_raw:>12.0f} {best_policy:>15.0f} {best_policy / best_raw:>7.2f}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
