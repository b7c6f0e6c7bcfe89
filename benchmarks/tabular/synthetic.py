"""Synthetic tables with known structure, in the ``table.jsonl`` format.

    python -m benchmarks.tabular.synthetic --out synthetic.jsonl [--settings 12 --seeds 40]

One task per gap/noise ratio (0 = every setting equal, then 0.25 to 2). Setting ``i`` has
true mean ``-i * gap`` (the best is setting 0, the next is ``gap`` below it, the rest spaced
by ``gap`` further); ``noise`` is the per-run standard deviation left after pairing. Seed
``s`` adds a shared effect (common random numbers, twice the noise) to every setting's run,
as recorded seeds do. Validation curves climb linearly to a plateau reached at a random
iteration between a third and two thirds of the run; test is the true mean plus independent
noise of the same size. Each row carries the true mean as ``true_test``: the replay measures
regret against it rather than against a noisy estimate from the truth seeds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

NOISE = 0.01
RATIOS = (0.0, 0.25, 0.5, 1.0, 2.0)
# Half are search seeds: 20 per setting, so that at gap/noise 1 even the full grid over them
# errs under 1% (with 10, the best and the second best swap in 1-2% of the tables).
SEEDS = 40
ARTIFACTS = ("one_function", "many_functions")
HORIZONS = (1, 10)


def _settings(k: int) -> list[dict[str, object]]:
    """A full product of knobs (the replay's space is the product): 4 x batch sizes."""
    per = len(ARTIFACTS) * len(HORIZONS)
    if k < per or k % per:
        raise ValueError(f"settings must be a multiple of {per}, got {k=}")
    batches = range(1, k // per + 1)
    return [{"starting_artifact": a, "credit_horizon": h, "batch_size": b} for a in ARTIFACTS for h in HORIZONS for b in batches]


def generate(ratio: float, *, settings: int = 12, seeds: int = SEEDS, iterations: int = 6, seed: int = 0) -> list[dict[str, object]]:
    """Rows of one synthetic task, ``synthetic:gap<ratio>``, best setting first in the grid order."""
    rng = np.random.default_rng([seed, int(ratio * 100)])
    task = f"synthetic:gap{ratio:g}"
    shared = rng.normal(0, 2 * NOISE, seeds)
    rows = []
    for i, setting in enumerate(_settings(settings)):
        mean = 0.5 - i * ratio * NOISE
        for s in range(seeds):
            final = mean + shared[s] + rng.normal(0, NOISE)
            start = final - abs(rng.normal(3 * NOISE, NOISE))
            plateau = int(rng.integers(max(iterations // 3, 1), max(2 * iterations // 3, 1) + 1))
            curve = [[t, start + (final - start) * min(1.0, t / plateau)] for t in range(iterations + 1)]
            test = mean + rng.normal(0, NOISE)
            rows.append({
                "run_id": f"{task}-{i}-s{s}", "task": task, "optimizer": "synthetic", "setting": setting, "seed": s,
                "iterations": iterations, "curve": curve, "best_val": max(v for _, v in curve), "test": test,
                "test_curve": [[iterations, final, test]], "wall_time_s": 0.0, "true_test": mean,
            })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--settings", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with args.out.open("w") as f:
        for ratio in RATIOS:
            for row in generate(ratio, settings=args.settings, seeds=args.seeds, iterations=args.iterations, seed=args.seed):
                f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
