"""Warm start on the tabular replay: budget to a correct pick with and without a prior from other tables.

    python -m benchmarks.tabular.warm_start [--reps 20] [--workers 2]

For each task, the default strategy (halving) runs three ways on the same splits and search
order (common random numbers): **cold** (no prior), **family prior** (a prior from the finished
"studies" of the other tables of the task's family: every recorded run of each other table,
each table counting as one past study of another task of the family) and **wrong prior**
(the same tables with every score negated, so the prior's favorite is the family's worst
setting). Recorded families: ``mlpipeline`` (2 tables), ``atari`` (4). Synthetic: one fresh
table per repetition at gap/noise 0.5 and 1 (the best setting is the same in every draw),
its prior from two other fresh draws of the same family.

Per budget level (share of the grid: every setting x every search seed) the figures of
``replay``: P(correct) (pick within 2% normalized truth regret) and mean regret; and the
**budget to a correct pick**: per repetition the smallest level from which on every pick is
correct, averaged over the repetitions that get there (and how many never do).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import mean
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autoloop.controller import Prior
from benchmarks.tabular._scoring import BAND, Truth
from benchmarks.tabular._strategies import ControllerConfig, controller, table_info
from benchmarks.tabular._table import KNOBS, TaskTable, from_rows, load
from benchmarks.tabular.record import TABLE
from benchmarks.tabular.replay import split
from benchmarks.tabular.synthetic import generate

LEVELS = (0.02, 0.04, 0.06, 0.1, 0.25, 0.5, 1.0)
ARMS = ("cold", "family prior", "wrong prior")
SYNTHETIC_RATIOS = (0.5, 1.0)


def past_study(table: TaskTable, name: str, *, sign: float = 1.0) -> dict[str, Any]:
    """A finished study of ``table`` as the service stores it (only what a prior reads), under task ``name``."""
    runs = [
        {"settings": {**dict(zip(KNOBS, s, strict=True)), "seed": run.seed}, "best_val": sign * run.best_val(table.iterations)}
        for s, recorded in table.runs.items() for run in recorded
    ]
    return {"task": name, "runs": runs}


def priors(table: TaskTable, others: list[TaskTable]) -> dict[str, Prior | None]:
    """The three arms' priors for ``table``: none, the other tables' studies, the same negated."""
    family = table.task.partition(":")[0]
    names = [f"{family}:past-{i}" for i in range(len(others))]  # other tasks of the family, never this one
    infos = {table.task: table_info(table), **{n: table_info(t) for n, t in zip(names, others, strict=True)}}
    right = [past_study(t, n) for n, t in zip(names, others, strict=True)]
    wrong = [past_study(t, n, sign=-1.0) for n, t in zip(names, others, strict=True)]
    return {"cold": None, "family prior": Prior.of(right, table.task, infos), "wrong prior": Prior.of(wrong, table.task, infos)}


def one_rep(table: TaskTable, others: list[TaskTable], rep: int, reps: int, seed: int) -> dict[str, list[float]]:
    """Each arm's normalized truth regret per level, on one split with one search order."""
    rng = np.random.default_rng([seed, rep])
    search, truth_seeds = split(table, rep, reps, rng)
    truth = Truth.of(table, truth_seeds)
    grid = len(table.runs) * len(search) * table.iterations
    sampler_seed = int(rng.integers(2**31))
    config = ControllerConfig(sampler="halving", seeds=len(search))
    out = {}
    for arm, prior in priors(table, others).items():
        regrets, done = [], None
        for level in LEVELS:
            budget = max(int(level * grid), table.iterations)  # at least one run
            if done is None:
                pick, _, reason, _ = controller(table, sampler_seed, budget, config, search, prior=prior)
                regret = truth.regret(pick)
                done = regret if reason in ("confident", "seeds", "space") else None
            else:
                regret = done
            regrets.append(regret)
        out[arm] = regrets
    return out


def budget_to_correct(regrets: list[float]) -> float | None:
    """The smallest level from which on every pick is correct (``None``: not even at the full grid)."""
    at = None
    for level, regret in zip(reversed(LEVELS), reversed(regrets), strict=True):
        if regret > BAND:
            break
        at = level
    return at


def families(recorded: dict[str, TaskTable], reps: int, seed: int) -> list[tuple[str, list[tuple[TaskTable, list[TaskTable]]]]]:
    """Task -> per repetition (its table, the other tables of its family)."""
    out = []
    for task, table in recorded.items():
        family = task.partition(":")[0]
        others = [t for name, t in recorded.items() if name != task and name.partition(":")[0] == family]
        if others:
            out.append((task, [(table, others)] * reps))
    for ratio in SYNTHETIC_RATIOS:
        draws = [next(iter(from_rows(generate(ratio, seed=seed * 1000 + i)).values())) for i in range(reps + 2)]
        out.append((draws[0].task, [(draws[r], [draws[(r + 1) % len(draws)], draws[(r + 2) % len(draws)]]) for r in range(reps)]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", type=Path, default=TABLE, help="recorded runs (default: the committed table)")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    began = time.monotonic()
    tasks = families(load(args.table), args.reps, args.seed)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {task: [pool.submit(one_rep, t, o, rep, args.reps, args.seed) for rep, (t, o) in enumerate(jobs)] for task, jobs in tasks}
        results = {task: [f.result() for f in fs] for task, fs in futures.items()}
    _print(results)
    print(f"\n{len(results)} tasks x {args.reps} repetitions x {len(ARMS)} arms in {time.monotonic() - began:.0f} s")
    return 0


def _print(results: dict[str, list[dict[str, list[float]]]]) -> None:
    from autoloop.cli._output import print_table

    rows = []
    for task, reps in results.items():
        for arm in ARMS:
            per_level = np.array([r[arm] for r in reps])
            reached = [b for b in (budget_to_correct(r[arm]) for r in reps) if b is not None]
            rows.append([
                task, arm, *(f"{np.mean(per_level[:, i] <= BAND):.2f}" for i in range(len(LEVELS))),
                *(f"{per_level[:, i].mean():.3f}" for i in range(len(LEVELS))),
                f"{mean(reached):.2f}" if reached else "-", f"{len(reps) - len(reached)}/{len(reps)}",
            ])
    headers = ["task", "arm", *(f"P(correct) {b:.0%}" for b in LEVELS), *(f"regret {b:.0%}" for b in LEVELS), "budget to correct", "never"]
    print_table(headers, rows)


if __name__ == "__main__":
    raise SystemExit(main())
