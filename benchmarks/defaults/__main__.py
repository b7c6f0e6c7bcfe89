"""Robust defaults over a suite of cheap tasks from different families, with the leave-one-task-out check.

One command (results in ``--out``; a task whose result file exists is not tuned again)::

    python -m benchmarks.defaults --data ../shared/data

Each task is tuned by ``autoloop tune`` (default strategy, offline ``local`` optimizer, 3
iterations per run, credit horizon 1, the same iteration budget), then ``autoloop defaults``
reads the result files: the default by mean normalized regret over the tasks, and for each task
the default chosen without it and its regret there. Tasks: the ML pipeline (spaceship-titanic),
``csv:`` on three scikit-learn datasets written to CSV here (wine, breast cancer: accuracy;
diabetes: RMSE), Atari Pong (1 episode x 300 steps per seed, to keep it cheap) and the example
plug-in ``curvefit`` (two curves).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "examples" / "autoloop-curvefit"
CLI = "from autoloop.cli import main; raise SystemExit(main())"
# scikit-learn dataset -> (task name, target column)
DATASETS = {
    "load_wine": ("csv:wine", "cultivar"), "load_breast_cancer": ("csv:breast-cancer", "benign"),
    "load_diabetes": ("csv:diabetes", "progression"),
}


def write_csvs(folder: Path) -> dict[str, tuple[Path, str]]:
    """The scikit-learn datasets as CSV files: task -> (file, target column)."""
    import sklearn.datasets

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for loader, (task, target) in DATASETS.items():
        frame = getattr(sklearn.datasets, loader)(as_frame=True).frame.rename(columns={"target": target})
        path = folder / f"{task.partition(':')[2]}.csv"
        frame.to_csv(path, index=False)
        out[task] = (path, target)
    return out


def tune_commands(data: Path, csvs: dict[str, tuple[Path, str]]) -> dict[str, list[str]]:
    """Task -> its ``autoloop tune`` arguments beyond the shared ones."""
    commands = {"mlpipeline:spaceship-titanic": ["--data", str(data / "mlagentbench")]}
    commands |= {task: ["--data", str(path), "--target", target] for task, (path, target) in csvs.items()}
    commands |= {"atari:Pong": [], "curvefit:quadratic": [], "curvefit:wave": []}
    return commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="folder holding mlagentbench/")
    parser.add_argument("--out", type=Path, default=Path("defaults-results"), help="result files (default ./defaults-results)")
    parser.add_argument("--budget-iterations", type=int, default=54, help="iteration budget of each task's study")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of each study")
    args = parser.parse_args()
    env = {
        **os.environ, "AUTOLOOP_PLUGINS": "benchmarks.defaults.plugin", "AUTOLOOP_ATARI_PROTOCOL": "1x300",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), str(PLUGIN_DIR), os.environ.get("PYTHONPATH")])),
    }
    results = []
    for task, extra in tune_commands(args.data, write_csvs(args.out / "data")).items():
        result = args.out / f"{task.replace(':', '_')}.json"
        if not result.exists():
            started = time.monotonic()
            argv = [
                "tune", task, "--optimizer", "local", "--iterations", "3", "--space", "credit_horizon=1",
                "--budget-iterations", str(args.budget_iterations), "--jobs", str(args.jobs), "--json", *extra,
            ]
            done = subprocess.run([sys.executable, "-c", CLI, *argv], env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"tune {task} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
            result.write_text(done.stdout)
            print(f"{task}: tuned in {time.monotonic() - started:.0f} s", flush=True)
        results.append(str(result))
    for as_json in (False, True):
        shown = subprocess.run([sys.executable, "-c", CLI, "defaults", *results, *(["--json"] * as_json)], env=env, capture_output=True, text=True)
        if shown.returncode:
            sys.exit(f"autoloop defaults failed: {shown.stdout}{shown.stderr}")
        (args.out / "defaults.json").write_text(shown.stdout) if as_json else print(shown.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
