"""Record the full grid (artifact x horizon x batch size x seeds) of real loop runs into a table.

Every run scores its returned artifact once on the revalidation split and on test at the end
(test is ground truth for the replayer, never seen by a strategy during its search; the
replay ranks runs by ``revalidation``). One JSON line per run, appended as runs finish, so an
interrupted recording resumes where it stopped.

    python -m benchmarks.tabular.record --tasks mlpipeline:spaceship-titanic,mlpipeline:house-prices \
        --data ../shared/data --seeds 4 --iterations 10 --jobs 2
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from autoloop.cli._output import progress_bar
from autoloop.controller import SearchSpace
from autoloop.executors import LocalExecutor, LoopJob, resolve_template
from autoloop.outcome import RunOutcome
from autoloop.tasks import TaskInfo

TABLE = Path(__file__).with_name("table.jsonl")


def grid_jobs(task: str, *, data: str | None, seeds: int, iterations: int, optimizer: str, space: str | None) -> list[LoopJob]:
    """One job per (setting, seed) of the task's declared grid (restricted by ``space``)."""
    template = resolve_template(task, data_dir=data, optimizer=optimizer)
    built = template.build_task()
    info = TaskInfo.of(built)
    built.close()
    jobs = []
    for setting in SearchSpace.from_task(info, space).grid():
        for seed in range(seeds):
            settings = {**setting, "iterations": iterations, "seed": seed}
            run_id = "-".join(str(v) for v in (task.replace(":", "."), *setting.values(), f"s{seed}"))
            jobs.append(template.job(run_id, settings, score_test=True))
    return jobs


def recorded(path: Path) -> set[str]:
    """Run ids already in the table."""
    if not path.exists():
        return set()
    return {json.loads(line)["run_id"] for line in path.read_text().splitlines() if line.strip()}


def row(task: str, result: RunOutcome) -> dict:
    """The table row of one finished run (curves in internal, higher-is-better units)."""
    s = result.settings
    return {
        "run_id": result.run_id, "task": task, "optimizer": result.optimizer,
        "setting": {k: s[k] for k in ("starting_artifact", "credit_horizon", "batch_size")},
        "seed": result.seed, "iterations": result.iterations, "curve": [list(p) for p in result.curve],
        "best_val": result.best_val, "test": result.test, "test_curve": [list(p) for p in result.test_curve],
        "revalidation": result.revalidation, "revalidation_scores": list(result.revalidation_scores),
        "test_scores": list(result.test_scores), "wall_time_s": round(result.wall_time_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", required=True, help="comma-separated task names")
    parser.add_argument("--data", help="task data directory")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--optimizer", default="local")
    parser.add_argument("--space", help="restrict the grid, e.g. 'credit_horizon=1,100'")
    parser.add_argument("--out", type=Path, default=TABLE)
    parser.add_argument("--import", dest="imports", action="append", default=[], help="module registering extra tasks")
    args = parser.parse_args(argv)
    for module in args.imports:
        importlib.import_module(module)
    done = recorded(args.out)
    jobs = [
        j for task in args.tasks.split(",")
        for j in grid_jobs(task, data=args.data, seeds=args.seeds, iterations=args.iterations, optimizer=args.optimizer, space=args.space)
        if j.run_id not in done
    ]
    tasks = {j.run_id: j.task for j in jobs}
    began, failed = time.monotonic(), 0
    with LocalExecutor(jobs=args.jobs) as executor, progress_bar(len(jobs), "recording") as bar, args.out.open("a") as out:
        for job in jobs:
            executor.submit(job)
        left = set(tasks)
        while left:
            for event in executor.events(timeout=1.0):
                if not event.terminal:
                    continue
                left.discard(event.run_id)
                bar.update(1)
                if event.kind == "failed":
                    failed += 1
                    print(f"run {event.run_id} failed: {event.error}", file=sys.stderr)
                    continue
                out.write(json.dumps(row(tasks[event.run_id], event.result)) + "\n")
                out.flush()
    print(f"recorded {len(jobs) - failed} runs ({failed} failed) in {time.monotonic() - began:.0f} s into {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
