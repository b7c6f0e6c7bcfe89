"""Consistency of the ranking statistic: full grid, fluctuating runs, many simulated studies.

    python -m benchmarks.tabular.consistency [--studies 1000] [--seeds 4,8,32] [--seed 0]

Every study draws a fresh table of one scenario (``fluctuating.py``: 12 settings, runs whose
artifacts wander, the returned artifact chosen by noisy validation), runs the full grid
(every setting x every seed) and picks the setting with the highest mean of a statistic
over its seeds. Side by side: ranking by **re-validation** (the returned artifact re-scored
once on fresh data) and by **best validation** (the best point of the run's own validation
curve, which also chose the returned artifact). Per scenario and seed count: P(exact best)
(the pick is the setting whose fresh runs return the best artifacts in expectation) and the
mean normalized regret (0 = best, 1 = worst) ± its standard error over the studies.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.tabular.fluctuating import GAP, SCENARIOS, SEED_SD, SETTINGS, Scenario, setting_runs

STATISTICS = ("revalidation", "best validation")
SEEDS = (4, 8, 32)


@dataclass(frozen=True)
class Cell:
    """One statistic in one scenario at one seed count, over the studies."""

    p_exact: float
    regret: float
    regret_se: float


def cell(scenario: Scenario, seeds: int, studies: int, rng: np.random.Generator, gap: float = GAP) -> dict[str, Cell]:
    """Both statistics over ``studies`` full-grid studies of ``seeds`` seeds each (setting 0 is the best)."""
    shared = rng.normal(0, SEED_SD, (studies, seeds))  # the seed effect every setting's run shares
    values = {name: np.empty((SETTINGS, studies)) for name in STATISTICS}
    for k in range(SETTINGS):
        runs = setting_runs(scenario, k, rng, (studies, seeds), gap)
        values["revalidation"][k] = (runs.rescored(rng) + shared).mean(axis=1)
        values["best validation"][k] = (runs.best_val + shared).mean(axis=1)
    out = {}
    for name, means in values.items():
        picks = means.argmax(axis=0)
        regret = picks / (SETTINGS - 1)  # true values are -k x gap: normalized regret is k / (K - 1)
        out[name] = Cell(float((picks == 0).mean()), float(regret.mean()), float(regret.std(ddof=1) / math.sqrt(studies)))
    return out


def grid(studies: int, seeds: tuple[int, ...] = SEEDS, seed: int = 0) -> dict[str, dict[int, dict[str, Cell]]]:
    """Every scenario at every seed count (scenario -> seeds -> statistic -> cell), seeded."""
    return {
        name: {n: cell(scenario, n, studies, np.random.default_rng([seed, ord(name), n])) for n in seeds}
        for name, scenario in SCENARIOS.items()
    }


def main(argv: list[str] | None = None) -> int:
    from autoloop.cli._output import print_table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=1000, help="simulated studies per cell (default: 1000)")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="seed counts (default: 4,8,32)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    began = time.monotonic()
    seeds = tuple(int(n) for n in args.seeds.split(","))
    results = grid(args.studies, seeds, args.seed)
    rows = []
    for name, per in results.items():
        s = SCENARIOS[name]
        label = f"{name}: wander {_levels(s.wander)}, val noise {_levels(s.val_noise)}"
        for n, cells in per.items():
            r, b = cells["revalidation"], cells["best validation"]
            rows.append([label, n, f"{r.p_exact:.2f}", f"{b.p_exact:.2f}", f"{r.regret:.3f}±{r.regret_se:.3f}", f"{b.regret:.3f}±{b.regret_se:.3f}"])
    print(f"Full grid, {SETTINGS} settings, {args.studies} simulated studies per cell, setting gap {GAP} "
          "(in the returned artifacts' expected true quality); ranking by the mean over seeds of each statistic.")
    print_table(["scenario", "seeds", "P(exact best) reval", "P(exact best) best val", "regret reval", "regret best val"], rows)
    print(f"\n{len(results) * len(seeds)} cells in {time.monotonic() - began:.1f} s")
    return 0


def _levels(pair: tuple[float, float]) -> str:
    return f"{pair[0]:g}" if pair[0] == pair[1] else f"{pair[0]:g} or {pair[1]:g}"


if __name__ == "__main__":
    raise SystemExit(main())
