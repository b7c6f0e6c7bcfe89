"""Queue overhead of the service: no-op loop runs through RQ on 2 worker processes.

Starts an embedded Redis and ``autoloop worker --processes 2``, then runs no-op loop runs
(a one-instance task, one iteration, the ``local`` optimizer) through ``RQExecutor`` in
two phases:

- closed loop: at most one run per worker in flight, so a run never waits for a busy
  worker: enqueue-to-start is the queue's own pickup latency;
- burst: every run enqueued at once: the latency includes waiting behind other runs, and
  the makespan gives throughput.

Per-job overhead = RQ job wall time (started -> ended) minus the loop run's own time.

Run from the repository root::

    python benchmarks/queue_latency.py [--runs 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # workers import this module as a plug-in (the no-op task)

from autoloop.artifact import Artifact  # noqa: E402
from autoloop.policies import artifact_from_python  # noqa: E402
from autoloop.tasks import Metric, Task, TaskFamily, TaskInfo, register_task  # noqa: E402
from autoloop.trace import Instance, Split, Step, Trace  # noqa: E402

POLICY = '''"""Return a number."""

def answer():
    value = 1.0
    return value
'''


class NoOpTask(Task):
    """One instance per split and a constant score: a loop run costs next to nothing."""

    name = "noop:constant"
    policy_family = "noop"
    artifacts = ("start",)
    horizons = (1,)
    batch_sizes = (1,)
    metric = Metric("constant")
    background = "Nothing to optimize."
    failure_score = 0.0

    def split(self, name: Split) -> list[Instance]:
        return [Instance(f"{name}-0", name, 0)]

    def starting_artifact(self, name: str) -> Artifact:
        return artifact_from_python(name, POLICY)

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        step = Step(input="", output="1.0", feedback="ok", reward=1.0)
        return Trace(instance.id, instance.split, (step,), 1.0, feedback="ok")


register_task(TaskFamily("noop", ("constant",), lambda variant, data_dir, options: NoOpTask(), lambda variant: TaskInfo.of(NoOpTask)))


def _job(run_id: str):
    from autoloop.executors import RunTemplate
    from autoloop.llm import Endpoint, LLMConfig

    template = RunTemplate(task="noop:constant", data_dir=None, task_options={}, optimizer="local", endpoint=Endpoint.of(LLMConfig()))
    return template.job(run_id, {"starting_artifact": "start", "iterations": 1}, score_test=False)


def _phase(executor, runs: int, in_flight: int, prefix: str) -> tuple[list[str], float]:
    started = time.perf_counter()
    submitted = finished = 0
    run_ids = []
    while finished < runs:
        while submitted < runs and submitted - finished < in_flight:
            run_ids.append(f"{prefix}{submitted}")
            executor.submit(_job(run_ids[-1]))
            submitted += 1
        for event in executor.events(1.0):
            if event.kind == "failed":
                raise RuntimeError(f"run {event.run_id} failed: {event.error}")
            finished += event.terminal
    return run_ids, time.perf_counter() - started


def _measure(client, executor, run_ids: list[str]) -> dict[str, list[float]]:
    from rq.job import Job

    from autoloop.executors import rq_job_id
    from autoloop.executors._events import recorded

    out: dict[str, list[float]] = {"latency_ms": [], "overhead_ms": []}
    for run_id in run_ids:
        job = Job.fetch(rq_job_id(executor.study_id, run_id), connection=client)
        loop_s = recorded(client, executor.study_id, run_id).result.wall_time_s
        out["latency_ms"].append((job.started_at - job.enqueued_at).total_seconds() * 1000)
        out["overhead_ms"].append(((job.ended_at - job.started_at).total_seconds() - loop_s) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="no-op loop runs per phase (default 100)")
    args = parser.parse_args()

    from rq import Worker

    from autoloop.executors import RQExecutor, RunSlots
    from autoloop.redisdb import EmbeddedRedis

    with tempfile.TemporaryDirectory(prefix="al-bench-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        RunSlots(client).set_cap(2)  # one tenant on both workers (the service's default would leave one to other tenants)
        env = {**os.environ, "AUTOLOOP_HOME": home, "AUTOLOOP_PLUGINS": "benchmarks.queue_latency", "PYTHONPATH": str(ROOT)}
        env.pop("REDIS_URL", None)
        cli = "from autoloop.cli import main; raise SystemExit(main())"
        workers = subprocess.Popen([sys.executable, "-c", cli, "worker", "--processes", "2"], env=env, cwd=ROOT)
        try:
            while len(Worker.all(connection=client)) < 2:
                time.sleep(0.1)
            executor = RQExecutor(client, "bench", owner="bench")
            _phase(executor, 4, 2, "warmup-")
            rows = []
            for name, in_flight in (("closed loop (2 in flight)", 2), (f"burst ({args.runs} at once)", args.runs)):
                run_ids, makespan = _phase(executor, args.runs, in_flight, f"{name[:5]}-")
                m = _measure(client, executor, run_ids)
                rows.append((name, m, makespan))
        finally:
            workers.terminate()
            workers.wait(30)
    print(f"{args.runs} no-op loop runs per phase on 2 worker processes (embedded Redis, unix socket)")
    print(f"{'phase':28} {'enqueue->start p50':>18} {'p99':>8} {'overhead/job p50':>17} {'p99':>8} {'mean':>8} {'runs/s':>7}")
    for name, m, makespan in rows:
        lat, ovh = m["latency_ms"], m["overhead_ms"]
        print(
            f"{name:28} {_pct(lat, .5):16.1f}ms {_pct(lat, .99):6.1f}ms {_pct(ovh, .5):15.1f}ms "
            f"{_pct(ovh, .99):6.1f}ms {statistics.fmean(ovh):6.1f}ms {args.runs / makespan:7.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
