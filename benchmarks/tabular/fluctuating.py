"""Fluctuating-curve tables: runs whose artifacts wander in true quality, in the ``table.jsonl`` format.

    python -m benchmarks.tabular.fluctuating --out fluctuating.jsonl [--seeds 40]

A run of setting ``k`` goes through artifacts 0..T (0 = the starting artifact). Artifact
``t``'s true quality is the setting's level ``mu_k``, plus a rise of ``RISE`` approached as
``1 - exp(-t / 3)``, plus the run's own offset (sd ``run_sd``: runs of one setting reach
different places), plus an AR(1) wander (``PHI``, stationary sd ``wander``, 0 at the start)
that lets the quality go down as well as up, plus a seed effect shared by every setting
(common random numbers, sd ``SEED_SD``). In-loop validation sees each artifact's quality
plus noise (sd ``val_noise``); the run returns its best-by-validation artifact. Its
``revalidation`` is that artifact's true quality plus noise of half the validation noise
(re-validation data 4x the validation set), ``test`` likewise with independent noise.
``true_test`` is the expected true quality of a fresh run's returned artifact (the seed
effect averages out): ``-k x gap`` exactly, ``mu_k`` being set to it minus the selection's
expected bonus, estimated once per (wander, noise) pair from ``BONUS_RUNS`` simulated runs.

Scenarios (wander and validation noise per setting; odd settings take the second value):

- A: wander 0.2 or 1 by setting, validation noise 1;
- B: wander 0.5, validation noise 0.5 or 2 by setting;
- C: both vary (wander by setting, noise by pairs of settings: every combination);
- D: smooth curves (no wander, validation noise 0.25, run sd 1): the control, where best
  validation is as good a statistic as any.
"""

from __future__ import annotations

import argparse
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.tabular.synthetic import _settings

PHI = 0.7
RISE = 1.0
SEED_SD = 1.0
GAP = 0.3
ITERATIONS = 10
SETTINGS = 12
BONUS_RUNS = 200_000
# Re-validation (and test) data is 4x the validation set: noise of half the validation noise.
REVALIDATION_NOISE = 0.5


@dataclass(frozen=True)
class Scenario:
    """How much a scenario's runs wander and how noisily they are validated, per setting.

    Args:
        name: ``A``, ``B``, ``C`` or ``D``.
        wander: Stationary sd of the AR(1) wander, for even and odd settings.
        val_noise: Validation noise sd, for even and odd settings (``C``: pairs of settings).
        run_sd: Sd of a run's own offset.
        crossed: Noise alternates by pairs of settings, so every (wander, noise) pair occurs.
    """

    name: str
    wander: tuple[float, float]
    val_noise: tuple[float, float]
    run_sd: float = 0.5
    crossed: bool = False

    def levels(self, k: int) -> tuple[float, float]:
        """``(wander, val_noise)`` of setting ``k``."""
        return self.wander[k % 2], self.val_noise[(k // 2) % 2 if self.crossed else k % 2]


SCENARIOS = {
    "A": Scenario("A", (1.0, 0.2), (1.0, 1.0)),
    "B": Scenario("B", (0.5, 0.5), (0.5, 2.0)),
    "C": Scenario("C", (1.0, 0.2), (0.5, 2.0), crossed=True),
    "D": Scenario("D", (0.0, 0.0), (0.25, 0.25), run_sd=1.0),
}


@dataclass(frozen=True)
class Runs:
    """Simulated runs of one setting, any leading shape ``S`` (seed effects not yet added).

    Attributes:
        curve: Validation after each iteration, shape ``S + (T + 1,)``.
        returned: True quality of the returned (best-by-validation) artifact, shape ``S``.
        chosen: Iteration of the returned artifact, shape ``S``.
        val_noise: The setting's validation noise sd.
    """

    curve: np.ndarray
    returned: np.ndarray
    chosen: np.ndarray
    val_noise: float

    @property
    def best_val(self) -> np.ndarray:
        """Best validation of each run."""
        return self.curve.max(axis=-1)

    def rescored(self, rng: np.random.Generator) -> np.ndarray:
        """The returned artifact scored on fresh data 4x the validation set (re-validation or test)."""
        return self.returned + rng.normal(0, REVALIDATION_NOISE * self.val_noise, self.returned.shape)


def simulate(rng: np.random.Generator, shape: tuple[int, ...], mu: float, wander: float, val_noise: float, run_sd: float,
             iterations: int = ITERATIONS) -> Runs:
    """``shape`` runs of one setting (see the module docstring)."""
    t = np.arange(iterations + 1)
    wandering = np.zeros((*shape, iterations + 1))
    steps = rng.normal(0, wander * np.sqrt(1 - PHI**2), (*shape, iterations))
    for i in range(1, iterations + 1):
        wandering[..., i] = PHI * wandering[..., i - 1] + steps[..., i - 1]
    quality = mu + RISE * (1 - np.exp(-t / 3)) + rng.normal(0, run_sd, shape)[..., None] * (t > 0) + wandering
    curve = quality + rng.normal(0, val_noise, quality.shape)
    chosen = curve.argmax(axis=-1)
    returned = np.take_along_axis(quality, chosen[..., None], axis=-1)[..., 0]
    return Runs(curve, returned, chosen, val_noise)


@functools.cache
def selection_bonus(wander: float, val_noise: float, run_sd: float, iterations: int = ITERATIONS) -> float:
    """Expected true quality of the returned artifact above ``mu`` (fixed seed: a constant of the design)."""
    return float(simulate(np.random.default_rng(12345), (BONUS_RUNS,), 0.0, wander, val_noise, run_sd, iterations).returned.mean())


def setting_runs(
    scenario: Scenario, k: int, rng: np.random.Generator, shape: tuple[int, ...], gap: float = GAP, iterations: int = ITERATIONS,
) -> Runs:
    """Runs of setting ``k`` of ``iterations`` each, whose returned artifacts' expected true quality is ``-k x gap``."""
    wander, noise = scenario.levels(k)
    mu = -k * gap - selection_bonus(wander, noise, scenario.run_sd, iterations)
    return simulate(rng, shape, mu, wander, noise, scenario.run_sd, iterations)


def generate(
    scenario: Scenario, *, settings: int = SETTINGS, seeds: int = 40, gap: float = GAP, seed: int = 0, iterations: int = ITERATIONS,
) -> list[dict[str, object]]:
    """Rows of one task, ``fluctuating:<scenario>``, best setting first in the grid order
    (``iterations``: of every run; fewer make a cheaper replay, as the tests use)."""
    rng = np.random.default_rng([seed, ord(scenario.name)])
    task = f"fluctuating:{scenario.name}"
    shared = rng.normal(0, SEED_SD, seeds)
    rows = []
    for k, setting in enumerate(_settings(settings)):
        runs = setting_runs(scenario, k, rng, (seeds,), gap, iterations)
        revalidation, test = runs.rescored(rng) + shared, runs.rescored(rng) + shared
        for s in range(seeds):
            curve = [[t, float(v + shared[s])] for t, v in enumerate(runs.curve[s])]
            chosen = int(runs.chosen[s])
            rows.append({
                "run_id": f"{task}-{k}-s{s}", "task": task, "optimizer": "fluctuating", "setting": setting, "seed": s,
                "iterations": iterations, "curve": curve, "best_val": curve[chosen][1], "test": float(test[s]),
                "test_curve": [[chosen, curve[chosen][1], float(test[s])]], "revalidation": float(revalidation[s]),
                "wall_time_s": 0.0, "true_test": -k * gap,
            })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scenarios", default="A,B,C,D")
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with args.out.open("w") as f:
        for name in args.scenarios.split(","):
            for row in generate(SCENARIOS[name], seeds=args.seeds, seed=args.seed):
                f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
