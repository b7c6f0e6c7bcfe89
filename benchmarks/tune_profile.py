"""Sandbox start-up share of the CPU of a 120-iteration ``autoloop tune``, without and with task reuse.

Runs the same ``autoloop tune mlpipeline:spaceship-titanic --optimizer local`` twice in one
benchmark run, side by side: ``before`` with ``AUTOLOOP_TASK_POOL=0`` (every loop run
builds its task and starts a sandbox server, as before the task pool) and ``after`` with
the default pool (a worker process reuses its task and server across runs). For each it
measures:

* CPU: user + system time of the tune process and every process it waited for (worker
  processes, sandbox servers, their forked evaluation children), from ``os.wait4``;
* server starts: sandbox server processes seen in the tune's process tree (polled);
* start-up CPU of one server with the task's preloads (scikit-learn ...), measured here
  on ``--calibrate`` fresh servers (median);

and prints server starts x start-up CPU as a share of all CPU, and the CPU each tune took.
CPU times, unlike wall times, hold up when other work shares the machine.

Run from the repository root::

    python -m benchmarks.tune_profile [--data DIR] [--budget 120] [--iterations 4] [--seeds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from autoloop.executors._pool import POOL_SIZE_ENV
from autoloop.sandbox import Limits, Sandbox
from autoloop.tasks.mlpipeline._runner import PRELOAD

REPO = Path(__file__).resolve().parents[1]
TASK = "mlpipeline:spaceship-titanic"
CLI = "from autoloop.cli import main; raise SystemExit(main())"
SERVER_MODULE = "autoloop.sandbox._server"
POLL_S = 0.2


@dataclass(frozen=True)
class TuneProfile:
    """What one ``autoloop tune`` cost."""

    mode: str
    cpu_s: float
    wall_s: float
    server_starts: int


def server_startup_cpu_s(runs: int) -> float:
    """Median CPU (user + system) a sandbox server with the task's preloads spends until it is ready."""
    samples = []
    for _ in range(runs):
        with Sandbox(limits=Limits(timeout_s=60), preload=PRELOAD) as sandbox:
            times = psutil.Process(sandbox.server_pid).cpu_times()
            samples.append(times.user + times.system + times.children_user + times.children_system)
    return statistics.median(samples)


def _servers(root: psutil.Process) -> set[int]:
    """Pids of sandbox servers under ``root`` (not their forked evaluation children)."""
    try:
        tree = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    found = set()
    for proc in tree:
        try:
            if SERVER_MODULE in proc.cmdline() and SERVER_MODULE not in psutil.Process(proc.ppid()).cmdline():
                found.add(proc.pid)
        except psutil.Error:  # exited while we looked
            continue
    return found


def profile_tune(mode: str, pool_size: int, args: argparse.Namespace) -> TuneProfile:
    """Run one ``autoloop tune`` with task pools of ``pool_size`` and measure it."""
    command = [
        sys.executable, "-c", CLI, "tune", TASK, "--optimizer", "local", "--data", str(args.data),
        "--budget-iterations", str(args.budget), "--iterations", str(args.iterations), "--seeds", str(args.seeds),
        "--top-k", str(args.top_k), "--final-seeds", str(args.final_seeds), "--jobs", str(args.jobs), "--json",
    ]
    env = {**os.environ, POOL_SIZE_ENV: str(pool_size), "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    start = time.monotonic()
    proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    servers: set[int] = set()
    finished = threading.Event()

    def poll() -> None:
        root = psutil.Process(proc.pid)
        while not finished.wait(POLL_S):
            servers.update(_servers(root))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall_s = time.monotonic() - start
    finished.set()
    poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode}: tune exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    return TuneProfile(mode, usage.ru_utime + usage.ru_stime, wall_s, len(servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("AUTOLOOP_SHARED_DATA") or os.environ.get("AUTOLOOP_DATA")
    parser.add_argument("--data", type=Path, default=default_data, required=default_data is None, help="data folder (default: $AUTOLOOP_SHARED_DATA)")
    parser.add_argument("--budget", type=int, default=120, help="--budget-iterations of the tune (default: 120)")
    parser.add_argument("--iterations", type=int, default=4, help="iterations per loop run (default: 4)")
    parser.add_argument("--seeds", type=int, default=2, help="loop runs per trial (default: 2)")
    parser.add_argument("--top-k", type=int, default=1, help="settings re-checked on test (default: 1)")
    parser.add_argument("--final-seeds", type=int, default=2, help="fresh seeds per re-checked setting (default: 2)")
    parser.add_argument("--jobs", type=int, default=2, help="local worker processes (default: 2)")
    parser.add_argument("--calibrate", type=int, default=5, help="fresh servers timed for the start-up CPU (default: 5)")
    args = parser.parse_args()
    if args.seeds * args.iterations + args.top_k * args.final_seeds * args.iterations > args.budget:
        parser.error("seeds x iterations + top_k x final_seeds x iterations must fit in --budget")

    startup_s = server_startup_cpu_s(args.calibrate)
    results: dict[str, TuneProfile] = {}

    def run(mode: str, pool_size: int) -> None:
        results[mode] = profile_tune(mode, pool_size, args)

    # Side by side, so both see the same machine load; CPU times do not count waiting.
    threads = [threading.Thread(target=run, args=mode) for mode in (("before", 0), ("after", 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(results) != 2:
        raise SystemExit("a tune failed; see the error above")

    print(f"{TASK}, {args.budget} iterations ({args.seeds} seeds x {args.iterations} iterations per trial, "
          f"top {args.top_k} x {args.final_seeds} final seeds), --jobs {args.jobs}")
    print(f"sandbox server start-up CPU: {startup_s:.2f} s (median of {args.calibrate})")
    print(f"{'mode':<8}{'CPU s':>9}{'wall s':>9}{'servers':>9}{'start-up CPU s':>16}{'share':>8}")
    for profile in (results["before"], results["after"]):
        startup_total = profile.server_starts * startup_s
        print(f"{profile.mode:<8}{profile.cpu_s:>9.1f}{profile.wall_s:>9.1f}{profile.server_starts:>9}"
              f"{startup_total:>16.1f}{startup_total / profile.cpu_s:>8.1%}")
    before, after = results["before"], results["after"]
    print(f"CPU after / before: {after.cpu_s / before.cpu_s:.2f} ({before.cpu_s - after.cpu_s:.1f} s saved; "
          f"server starts account for {(before.server_starts - after.server_starts) * startup_s:.1f} s)")


if __name__ == "__main__":
    main()
