"""Replay search strategies against recorded (or synthetic) tables and measure *selection*.

    python -m benchmarks.tabular [--table FILE] [--synthetic] [--fluctuating] [--reps N] [--json]

Runs are ranked by their ``revalidation`` (the returned artifact re-scored once at the run's
end) when the table records it, else by their best validation.

Each repetition splits a task's recorded seeds into search seeds (what strategies may run) and
truth seeds (never seen by any strategy); a table with few seeds has few distinct splits, and
then the repetitions go through them in turn, each equally often. The truth value of a setting
is its mean test score over the truth seeds (on synthetic tables, its known expected test
score); a pick is *correct* when its normalized truth regret
(best - it) / (best - worst) is within 2%. Per strategy, at 10/25/50/100% of the grid budget
(every setting x every search seed, in loop iterations): the probability of correct selection,
the mean normalized regret, and - for strategies that give a verdict - the share of studies
whose "no significant difference" answer matches the truth (the truth seeds cannot tell their
best setting from another at 95%). A strategy with nothing to recommend yet is charged the task's default
setting (first declared values). ``random pick`` spends nothing: it is what luck scores, its
expectation over a uniformly random setting (exact, not one draw per repetition). The default
strategy (the first of ``--strategies``) is compared, paired over the repetitions, with each
baseline at every level and with itself at the level below (does more budget buy a worse pick?).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import mean

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.tabular import fluctuating
from benchmarks.tabular._scoring import Difference, Pick, Score, Truth
from benchmarks.tabular._strategies import ControllerConfig, controller, paper_grid, random_search, tpe_search
from benchmarks.tabular._table import TaskTable, from_rows, load
from benchmarks.tabular.record import TABLE
from benchmarks.tabular.synthetic import RATIOS, generate

LUCK = "random pick (zero cost)"
LEVELS = (0.1, 0.25, 0.5, 1.0)


def baselines(per: dict[str, dict[float, Score]], default: str) -> dict[str, dict[str, Difference]]:
    """The default strategy against random search, TPE and the zero-cost random pick, paired, per level."""
    names = [n for n in per if n == LUCK or n.startswith(("random search", "optuna TPE"))]
    return {name: {f"{b:.0%}": Difference.paired(per[default][b], per[name][b]) for b in LEVELS} for name in names}


def budget_steps(levels: dict[float, Score]) -> dict[str, Difference]:
    """One strategy's regret at each budget level minus at the level below, paired over the
    repetitions (the same split, table and search order): 'above' means more budget bought a
    worse pick by more than twice the difference's error."""
    return {f"{hi:.0%} - {lo:.0%}": Difference.paired(levels[hi], levels[lo]) for lo, hi in itertools.pairwise(LEVELS)}


def search_seeds(table: TaskTable) -> int:
    """Recorded seeds a repetition may search with: half, rounded up (the rest are truth seeds)."""
    return max(1, (table.seeds + 1) // 2)


def lower_bound(table: TaskTable, seeds: list[int], confidence: float = 0.95) -> float:
    """Approximate Garivier-Kaufmann lower bound on the runs a 95%-correct identification needs,
    as a share of the grid: 2 sigma^2 sum_i 1/gap_i^2 log(1/(2.4 delta)), gaps and the paired
    noise sigma estimated in-sample from ``seeds`` (inf when the best ties another setting)."""
    vals = {s: np.array([runs[i].rank_value(table.iterations) for i in seeds]) for s, runs in table.runs.items()}
    best = max(vals, key=lambda s: vals[s].mean())
    diffs = [vals[best] - v for s, v in vals.items() if s != best]
    sigma2 = mean(float(d.var(ddof=1)) for d in diffs) / 2 if len(seeds) > 1 else 0.0
    gaps = [max(float(d.mean()), 0.0) for d in diffs]
    gaps.append(min(gaps))  # the best arm's own term uses the smallest gap
    if min(gaps) == 0 or sigma2 == 0:
        return math.inf
    runs = 2 * sigma2 * sum(1 / g**2 for g in gaps) * math.log(1 / (2.4 * (1 - confidence)))
    return runs / (len(table.runs) * len(seeds))


def listed_splits(table: TaskTable, limit: int) -> list[tuple[int, ...]] | None:
    """Every way to choose the table's search seeds, when there are at most ``limit`` of them
    (``None`` otherwise: counted before listed, 40 seeds have 1.4e11)."""
    n_search = search_seeds(table)
    if math.comb(table.seeds, n_search) > limit:
        return None
    return list(itertools.combinations(range(table.seeds), n_search))


def split(table: TaskTable, rep: int, reps: int, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Repetition ``rep``'s search seeds (in a random order) and truth seeds. When the table has
    no more distinct splits than ``reps`` (3 seeds: 3 splits), repetition ``rep`` takes split
    ``rep mod count``, so every split weighs the same; otherwise the split is drawn at random."""
    n_search = search_seeds(table)
    splits = listed_splits(table, reps)
    if splits is not None:
        chosen = set(splits[rep % len(splits)])
        search = [int(i) for i in rng.permutation(sorted(chosen))]
        truth = [i for i in range(table.seeds) if i not in chosen]
    else:
        perm = [int(i) for i in rng.permutation(table.seeds)]
        search, truth = perm[:n_search], perm[n_search:]
    return search, truth or search


def foresight(table: TaskTable, samples: int = 50, seed: int = 0) -> float | None:
    """How well the search seeds can foretell the truth: the correlation, across settings, of
    the mean ranking value on the search seeds (re-validation when recorded, else best
    validation) with the truth (mean test on the truth seeds,
    or the known expected test), averaged over splits (every split when there are at most
    ``samples``, else ``samples`` drawn at random). ``None`` when no split has any spread.

    Near 0 or negative, no strategy that reads its runs can beat the zero-cost random pick:
    with few recorded seeds a setting's truth is its overall mean minus what the search saw
    (``truth = (n x overall - k x search) / (n - k)``), so where the overall means are close
    the best-looking setting on the search seeds is the worst on the truth seeds."""
    n_search = search_seeds(table)
    splits = listed_splits(table, samples)
    if splits is None:
        rng = np.random.default_rng(seed)
        splits = [tuple(int(i) for i in rng.permutation(table.seeds)[:n_search]) for _ in range(samples)]
    out = []
    for search in splits:
        truth = Truth.of(table, [i for i in range(table.seeds) if i not in search] or list(search))
        val = np.array([mean(table.runs[s][i].rank_value(table.iterations) for i in search) for s in table.settings])
        true = np.array([truth.values[s] for s in table.settings])
        if val.std() > 0 and true.std() > 0:
            out.append(float(np.corrcoef(val, true)[0, 1]))
    return mean(out) if out else None


def replay_rep(
    table: TaskTable, rep: int, reps: int, configs: list[ControllerConfig], seed: int
) -> tuple[list[int], dict[str, dict[float, Pick]]]:
    """Every strategy once on one task; returns the truth seeds and each strategy's pick per level."""
    rng = np.random.default_rng([seed, rep])
    search, truth = split(table, rep, reps, rng)
    grid = len(table.runs) * len(search) * table.iterations
    s = min(2, len(search))
    out: dict[str, dict[float, Pick]] = {}
    paper = paper_grid(table, rng, search)
    out[f"paper (full grid, {table.statistic})"] = {b: (paper.at(int(b * grid)) if b == 1.0 else None, None) for b in LEVELS}
    for name, trace in ((f"random search S={s}", random_search(table, rng, search[:s])), (f"optuna TPE S={s}", tpe_search(table, rng, search[:s]))):
        out[name] = {b: (trace.at(int(b * grid)), None) for b in LEVELS}
    sampler_seed = int(rng.integers(2**31))  # one search order for every controller strategy: common random numbers
    for config in configs:
        out[config.label] = _controller_picks(table, config, search, grid, sampler_seed)
    return truth, out


def _controller_picks(table: TaskTable, config: ControllerConfig, search: list[int], grid: int, sampler_seed: int) -> dict[float, Pick]:
    """The controller's pick per level; a search that ended for a reason a larger budget cannot
    change (confident, out of seeds or settings) is not re-run."""
    config = ControllerConfig(**{**vars(config), "seeds": len(search)}) if config.best_arm else config
    picks: dict[float, Pick] = {}
    done: Pick | None = None
    for b in LEVELS:
        budget = int(b * grid)
        if done is not None:
            picks[b] = done
        elif budget >= config.minimum_budget(table.iterations):
            pick, _, reason, tie = controller(table, sampler_seed, budget, config, search)
            picks[b] = (pick, tie)
            done = picks[b] if reason in ("confident", "seeds", "space") else None
        else:
            picks[b] = (None, None)
    return picks


Results = dict[str, dict[str, dict[float, Score]]]  # task -> strategy -> budget level -> score


Tables = dict[str, list[TaskTable]]  # task -> its table, or one freshly drawn table per repetition (synthetic)


def replay(tables: Tables, reps: int, configs: list[ControllerConfig], seed: int, workers: int) -> Results:
    """Every strategy ``reps`` times on every task, repetitions spread over ``workers`` processes.
    Repetition ``rep`` replays ``tables[task][rep % len(tables[task])]``."""
    jobs = [(task, rep, tables[task][rep % len(tables[task])]) for task in tables for rep in range(reps)]
    results: Results = {task: {} for task in tables}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(replay_rep, table, rep, reps, configs, seed) for _, rep, table in jobs]
        for (task, _, table), future in zip(jobs, futures, strict=True):
            truth_seeds, picks = future.result()
            truth = Truth.of(table, truth_seeds)
            luck = results[task].setdefault(LUCK, {b: Score() for b in LEVELS})
            for score in luck.values():
                score.add_luck(truth)
            for name, per_level in picks.items():
                scores = results[task].setdefault(name, {b: Score() for b in LEVELS})
                for b, pick in per_level.items():
                    scores[b].add(pick, truth, table.settings[0])
    return results


def synthetic_tables(reps: int, seed: int, *, kind: str = "synthetic") -> Tables:
    """One fresh table per repetition and gap/noise ratio (``synthetic``) or fluctuating scenario
    (``fluctuating``): same structure and true means, new seed noise, so the figures are
    expectations over tables, not one draw's luck."""
    makers = (
        [lambda s, r=ratio: generate(r, seed=s) for ratio in RATIOS] if kind == "synthetic"
        else [lambda s, sc=sc: fluctuating.generate(sc, seed=s) for sc in fluctuating.SCENARIOS.values()]
    )
    out: Tables = {}
    for make in makers:
        for rep in range(reps):
            for task, table in from_rows(make(seed * 100_003 + rep)).items():
                out.setdefault(task, []).append(table)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", type=Path, help="recorded runs in the table.jsonl format (default: the committed table)")
    parser.add_argument("--synthetic", action="store_true", help="add the synthetic tasks (gap/noise 0, 0.25, 0.5, 1, 2)")
    parser.add_argument("--fluctuating", action="store_true", help="add the fluctuating-curve tasks (scenarios A, B, C, D)")
    parser.add_argument("--rank-by", choices=("revalidation", "best-val"), default="revalidation",
                        help="rank runs by re-validation where the table records it (default), or by best validation")
    parser.add_argument("--reps", type=int, default=10, help="repetitions per task (default: 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategies", default="halving,racing,ttts,tpe", help="controller strategies (best-arm rules or Optuna samplers)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args(argv)
    recorded = load(args.table) if args.table else {} if args.synthetic or args.fluctuating else load(TABLE)
    tables: Tables = {task: [table] for task, table in recorded.items()}
    for kind in ("synthetic", "fluctuating"):
        if getattr(args, kind):
            tables.update(synthetic_tables(args.reps, args.seed, kind=kind))
    if args.rank_by == "best-val":
        tables = {task: [t.without_revalidation() for t in per] for task, per in tables.items()}
    configs = [ControllerConfig(sampler=name, pruner="hyperband") for name in args.strategies.split(",")]
    began = time.monotonic()
    results = replay(tables, args.reps, configs, args.seed, args.workers)
    bounds = {task: lower_bound(t[0], list(range(search_seeds(t[0])))) for task, t in tables.items()}
    foresights = {task: foresight(t[0], seed=args.seed) for task, t in tables.items()}
    default = configs[0].label
    minus = {task: baselines(per, default) for task, per in results.items()}
    steps = {task: budget_steps(per[default]) for task, per in results.items()}
    figures = json.dumps({
        task: {"lower_bound_share_of_grid": bounds[task], "foresight": foresights[task], "strategies": {
            name: {f"{b:.0%}": s.to_dict() for b, s in levels.items()} for name, levels in per.items()
        }, "default": default, "default_minus": {
            name: {level: vars(d) for level, d in levels.items()} for name, levels in minus[task].items()
        }, "default_by_budget": {step: vars(d) for step, d in steps[task].items()}} for task, per in results.items()
    }, indent=1, default=str)
    if args.save:
        args.save.write_text(figures + "\n")
    if args.json:
        print(figures)
    else:
        _print(results, tables, bounds, foresights, default, minus, steps)
        print(f"\n{len(tables)} tasks x {args.reps} repetitions replayed in {time.monotonic() - began:.1f} s")
    return 0


def _print(
    results: Results, tables: Tables, bounds: dict[str, float], foresights: dict[str, float | None], default: str,
    minus: dict[str, dict[str, dict[str, Difference]]], steps: dict[str, dict[str, Difference]],
) -> None:
    from autoloop.cli._output import print_table

    headers = ["task", "strategy", *(f"P(correct) {b:.0%}" for b in LEVELS), *(f"regret {b:.0%}" for b in LEVELS), "no-diff right @100%"]
    rows = []
    for task, per in results.items():
        t = tables[task][0]
        n = search_seeds(t)
        r = foresights[task]
        label = f"{task} ({len(t.runs)} settings x {n} search seeds; bound {bounds[task]:.2g} x grid; r {'-' if r is None else f'{r:+.2f}'})"
        for name, levels in per.items():
            d = {b: s.to_dict() for b, s in levels.items()}
            tie = d[1.0]["no_difference_right"]
            regrets = [f"{d[b]['regret']:.3f}" + ("" if d[b]["regret_se"] is None else f"±{d[b]['regret_se']:.2f}") for b in LEVELS]
            rows.append([label, name, *(f"{d[b]['p_correct']:.2f}" for b in LEVELS), *regrets, "-" if tie is None else f"{tie:.2f}"])
    print("P(correct): pick within 2% (normalized) of the truth best, truth = mean test over seeds no strategy saw; "
          "regret: mean normalized truth regret ± its standard error over the repetitions; "
          "budgets are shares of the grid (every setting x every search seed). "
          "bound: approximate lower bound on the budget a 95%-correct identification needs. "
          "r: correlation of the search seeds' validation with the truth over splits (near 0 or below: no strategy can beat luck).")
    print_table(headers, rows)
    print(f"\n{default} minus each baseline, regret paired over the repetitions (mean ± standard error; "
          "below 0: lower regret; 'below'/'above' when the difference is more than twice its error, else 'tie')")
    rows = [[task, name, *(str(levels[f"{b:.0%}"]) for b in LEVELS)] for task, per in minus.items() for name, levels in per.items()]
    print_table(["task", "baseline", *(f"{b:.0%}" for b in LEVELS)], rows)
    print(f"\n{default}: regret at each budget level minus at the level below, paired over the repetitions "
          "('above': more budget, a worse pick, by more than twice the error)")
    names = list(next(iter(steps.values())))
    print_table(["task", *names], [[task, *(str(per[n]) for n in names)] for task, per in steps.items()])


if __name__ == "__main__":
    raise SystemExit(main())
