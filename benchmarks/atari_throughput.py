"""Atari throughput: sandboxed policy rollouts vs raw ALE stepping, same game, same run.

For each game it alternates, ``--rounds`` times, two timed runs of ``--steps`` steps:

* raw: an ``AtariEnv`` (ALE, frame skip 4) stepped with uniformly random actions in this
  process, including the ROM load;
* policy: the task's own code path, ``Sandbox.call("autoloop.tasks.atari._runner:play")``
  with the game's starting artifact: fork of a confined child, ROM load, and per step RAM
  object extraction, one ``act(objects)`` call and the env step. Wall time of the whole
  call, so the sandbox's fixed cost is included.

It prints the median steps/s of each and their ratio (policy / raw).

Run from the repository root::

    python benchmarks/atari_throughput.py [--games Pong,SpaceInvaders] [--steps 4000] [--artifact modular]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoloop.sandbox import Limits, Sandbox  # noqa: E402
from autoloop.tasks.atari import get_game  # noqa: E402
from autoloop.tasks.atari._env import AtariEnv  # noqa: E402
from autoloop.tasks.atari._task import ENTRY, PRELOAD, AtariTask  # noqa: E402


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


def policy_steps_per_s(sandbox: Sandbox, source: str, game: str, steps: int, seed: int) -> float:
    """Steps/s of one sandboxed rollout of ``steps`` steps (fewer if the game ends first)."""
    start = time.perf_counter()
    out = sandbox.call(ENTRY, source, game, seed, 1, steps, None, None)
    elapsed = time.perf_counter() - start
    if not out.ok:
        raise RuntimeError(f"{game}: policy rollout failed: {out.error}")
    return out.value["steps"] / elapsed


def main() -> None:
    """Measure every requested game and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="Pong,SpaceInvaders", help="comma-separated games (default: Pong,SpaceInvaders)")
    parser.add_argument("--steps", type=int, default=4000, help="steps per timed run (default: 4000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating raw/policy rounds (default: 3)")
    parser.add_argument("--artifact", default="modular", help="starting artifact to run (default: modular)")
    args = parser.parse_args()
    print(f"{'game':<14} {'artifact':<11} {'raw steps/s':>12} {'policy steps/s':>15} {'ratio':>7}")
    with Sandbox(limits=Limits(timeout_s=120, memory_mb=1024), preload=PRELOAD) as sandbox:
        for game in args.games.split(","):
            spec = get_game(game.strip())
            source = AtariTask(spec.name).starting_artifact(args.artifact).source
            raw, policy = [], []
            for round_ in range(args.rounds):
                raw.append(raw_steps_per_s(spec.rom, args.steps, round_))
                policy.append(policy_steps_per_s(sandbox, source, spec.name, args.steps, 2000 + round_))
            raw_p50, policy_p50 = statistics.median(raw), statistics.median(policy)
            print(f"{spec.name:<14} {args.artifact:<11} {raw_p50:>12.0f} {policy_p50:>15.0f} {policy_p50 / raw_p50:>7.2f}")


if __name__ == "__main__":
    main()
