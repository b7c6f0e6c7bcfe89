"""Does the local optimizer improve the Atari starting policies? Start vs best-by-validation, on test.

For every requested game, starting artifact and credit horizon it runs one loop with the
offline ``local`` optimizer (numeric-constant hill climbing, no LLM), then scores the
starting artifact and the loop's best-by-validation artifact on the held-out test seeds
with the same protocol. Prints a table: game, artifact, horizon, start test score, best
test score, iterations.

Run from the repository root::

    python benchmarks/atari_improvement.py [--games Pong,Breakout] [--artifacts modular]
        [--horizons paper|1|both] [--iterations 12] [--protocol 1x1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoloop.loop import LoopRun
from autoloop.optimizers import create_optimizer
from autoloop.settings import LoopSettings
from autoloop.tasks.atari import GAMES, AtariTask


def horizons_for(game: str, which: str) -> tuple[int, ...]:
    """The horizons to run: the paper's multi-step value, 1, or both."""
    multi = GAMES[game].multi_step
    return {"paper": (multi,), "1": (1,), "both": (1, multi)}[which]


def run_one(game: str, artifact: str, horizon: int, iterations: int, protocol: str, seed: int) -> dict[str, object]:
    """One loop run plus the start-artifact test score, as a table row."""
    task = AtariTask(game, protocol=protocol)
    try:
        began = time.monotonic()
        start_test = task.evaluate(task.starting_artifact(artifact), "test")
        settings = LoopSettings(artifact, credit_horizon=horizon, iterations=iterations, seed=seed)
        optimizer = create_optimizer("local", seed=seed)
        result = LoopRun(task, settings, optimizer).run()
        return {
            "game": game,
            "artifact": artifact,
            "horizon": horizon,
            "start_test": start_test,
            "best_test": result.test,
            "start_val": result.curve[0][1],
            "best_val": result.best_val,
            "iterations": result.iterations,
            "improved": result.test is not None and result.test > start_test,
            "wall_s": round(time.monotonic() - began, 1),
        }
    finally:
        task.close()


def main() -> None:
    """Run the grid and print the table (and one JSON line per row with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default=",".join(GAMES), help="comma-separated games (default: all eight)")
    parser.add_argument("--artifacts", default="modular", help="comma-separated starting artifacts (default: modular)")
    parser.add_argument("--horizons", default="paper", choices=("paper", "1", "both"), help="credit horizons (default: paper)")
    parser.add_argument("--iterations", type=int, default=12, help="loop iterations (default: 12)")
    parser.add_argument("--protocol", default="1x1000", help="evaluation protocol EPISODESxSTEPS (default: 1x1000)")
    parser.add_argument("--seed", type=int, default=0, help="loop seed (default: 0)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line per row")
    args = parser.parse_args()
    rows = []
    print(f"{'game':<14} {'artifact':<11} {'horizon':>7} {'start test':>11} {'best test':>10} {'iterations':>10} {'improved':>9}")
    for game in args.games.split(","):
        for artifact in args.artifacts.split(","):
            for horizon in horizons_for(game, args.horizons):
                row = run_one(game, artifact, horizon, args.iterations, args.protocol, args.seed)
                rows.append(row)
                print(
                    f"{row['game']:<14} {row['artifact']:<11} {row['horizon']:>7} {row['start_test']:>11.1f} "
                    f"{row['best_test']:>10.1f} {row['iterations']:>10} {'yes' if row['improved'] else 'no':>9}",
                    flush=True,
                )
    improved = sum(bool(r["improved"]) for r in rows)
    print(f"improved on test: {improved} of {len(rows)} runs (protocol {args.protocol}, local optimizer)")
    if args.json:
        for row in rows:
            print(json.dumps(row))


if __name__ == "__main__":
    main()
