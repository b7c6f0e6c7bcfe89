"""Replay search strategies against the recorded table and print, per task and on average:
the budget each needs before its recommendation stays within 2% (normalized test regret) of
the best setting, and its test regret at 25% of the grid's budget.

    python -m benchmarks.tabular            # or: python benchmarks/tabular/replay.py

Budgets are in loop iterations (each ~ one LLM call), as a share of the full grid's budget
(every setting x every recorded seed). A strategy's recommendation is worth the mean test
score of that setting over all recorded seeds; regret is normalized per task to
(best - it) / (best - worst) over the grid. With no recommendation yet, the task's default
setting (its first declared artifact, horizon and batch size) stands in.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.tabular._strategies import (
    ControllerConfig,
    controller,
    paper_grid,
    random_search,
    tpe_search,
)
from benchmarks.tabular._table import Setting, TaskTable, load
from benchmarks.tabular.record import TABLE

BAND = 0.02
LADDER = tuple(round(0.05 * i, 2) for i in range(1, 21))  # 5%, 10%, ..., 100% of the grid budget
AT = 0.25


@dataclass
class Score:
    """One strategy on one task over all repetitions."""

    first: list[float | None] = field(default_factory=list)  # share of the grid budget, None = never
    stays: list[float | None] = field(default_factory=list)
    regret_at: list[float] = field(default_factory=list)

    def add(self, picks: dict[float, Setting | None], table: TaskTable, default: Setting) -> None:
        """Take one repetition's recommendation at every ladder budget."""
        regrets = {b: table.regret(picks[b] or default) for b in LADDER}
        within = [b for b in LADDER if regrets[b] <= BAND]
        staying = [b for b in LADDER if all(regrets[c] <= BAND for c in LADDER if c >= b)]
        self.first.append(min(within) if within else None)
        self.stays.append(min(staying) if staying else None)
        self.regret_at.append(regrets[AT])

    def summary(self) -> tuple[str, float, float, float]:
        """Reach count, mean first budget within the band, mean budget from which it stays, regret at 25%."""
        reached = [n for n in self.first if n is not None]
        return (
            f"{len(reached)}/{len(self.first)}",
            mean(n if n is not None else 1.0 for n in self.first),
            mean(n if n is not None else 1.0 for n in self.stays),
            mean(self.regret_at),
        )


def replay_rep(table: TaskTable, rep: int, configs: list[ControllerConfig], seed: int) -> dict[str, dict[float, Setting | None]]:
    """Every strategy once on one task: its recommendation at every ladder budget."""
    g = table.grid_budget
    search_seeds = configs[0].seeds
    rng = np.random.default_rng([seed, rep])
    order = [int(i) for i in rng.permutation(table.seeds)]
    anytime: dict[str, Callable[[], object]] = {
        "paper (full grid, best val)": lambda: paper_grid(table, rng),
        f"random search S={search_seeds}": lambda: random_search(table, rng, order[:search_seeds]),
        f"optuna TPE, no pruning S={search_seeds}": lambda: tpe_search(table, rng, order[:search_seeds]),
    }
    out: dict[str, dict[float, Setting | None]] = {}
    for name, make in anytime.items():
        trace = make()
        picks = {b: trace.at(int(b * g)) for b in LADDER}  # type: ignore[attr-defined]
        if name.startswith("paper"):  # the protocol recommends only once the grid is done
            picks = {b: picks[b] if b == 1.0 else None for b in LADDER}
        out[name] = picks
    for config in configs:
        out[config.label] = _controller_picks(table, config, order, int(rng.integers(2**31)))
    return out


def _controller_picks(table: TaskTable, config: ControllerConfig, order: list[int], sampler_seed: int) -> dict[float, Setting | None]:
    """The controller's pick at every ladder budget (same sampler seed throughout, so once a
    search ends because every setting was tried, larger budgets repeat it and are not re-run)."""
    picks: dict[float, Setting | None] = {}
    done: Setting | None = None
    for b in LADDER:
        budget = int(b * table.grid_budget)
        if done is None and budget >= config.minimum_budget(table.iterations):
            pick, _, reason = controller(table, sampler_seed, budget, config, order)
            done = pick if reason == "space" else None
            picks[b] = pick
        else:
            picks[b] = done
    return picks


def replay(tables: dict[str, TaskTable], reps: int, configs: list[ControllerConfig], seed: int, workers: int) -> dict[str, dict[str, Score]]:
    """Every strategy ``reps`` times on every task, repetitions spread over ``workers`` processes."""
    jobs = [(task, rep) for task in tables for rep in range(reps)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(replay_rep, tables[task], rep, configs, seed) for task, rep in jobs]
        results: dict[str, dict[str, Score]] = {task: {} for task in tables}
        for (task, _), future in zip(jobs, futures, strict=True):
            for name, picks in future.result().items():
                results[task].setdefault(name, Score()).add(picks, tables[task], tables[task].settings[0])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", type=Path, default=TABLE, help="recorded runs (default: the committed table)")
    parser.add_argument("--reps", type=int, default=20, help="repetitions per task (default: 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pruners", default="sha,hyperband,wilcoxon", help="controller pruners to compare")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    args = parser.parse_args(argv)
    tables = load(args.table)
    configs = [ControllerConfig(pruner=p) for p in args.pruners.split(",")]
    began = time.monotonic()
    results = replay(tables, args.reps, configs, args.seed, args.workers)
    _print(results, tables, args.reps)
    print(f"\n{len(tables)} tasks x {args.reps} repetitions replayed in {time.monotonic() - began:.1f} s")
    return 0


def _print(results: dict[str, dict[str, Score]], tables: dict[str, TaskTable], reps: int) -> None:
    from autoloop.cli._output import print_table

    headers = ["task", "strategy", "reached", "budget to 2%", "stays in 2% from", f"regret @{AT:.0%}"]
    rows = []
    for task, scores in results.items():
        t = tables[task]
        for name, score in scores.items():
            rows.append([f"{task} ({len(t.runs)} settings x {t.seeds} seeds, grid {t.grid_budget} it)", name, *score.summary()])
    for name in next(iter(results.values())):
        per = [results[task][name].summary() for task in results]
        rows.append([f"AVERAGE over {len(results)} tasks", name, "-", *(mean(p[i] for p in per) for i in (1, 2, 3))])
    print(f"budgets are shares of the full grid's iterations, mean over {reps} repetitions (never = 1.0). "
          f"'budget to 2%': first budget at which the recommendation's test is within {BAND:.0%} (normalized) of the "
          "best setting's; 'stays in 2% from': the budget from which it never leaves that band again.")
    print_table(headers, rows)


if __name__ == "__main__":
    raise SystemExit(main())
