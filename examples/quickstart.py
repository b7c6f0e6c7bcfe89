"""Quickstart: the autoloop service on one machine, end to end, with nothing installed but autoloop.

Starts ``autoloop serve`` (with its embedded Redis) and ``autoloop worker --processes 2``,
creates an API token, submits a small tuning study of Spaceship Titanic through the
Python client, shows its progress, prints the recommendation, writes the study's HTML report
(``--report``) and says where, and shuts everything down, also on Ctrl-C. No LLM endpoint is needed: without one, loops use the offline ``local``
optimizer.

Run from the repository root::

    python examples/quickstart.py [--data ../shared/data] [--budget-iterations 18] [--report FILE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import autoloop

REPO = Path(__file__).resolve().parents[1]
CLI = "from autoloop.cli import main; raise SystemExit(main())"
TASK = "mlpipeline:spaceship-titanic"
SPACE = "artifact=one_function,many_functions;batch_size=1,3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Own session: Ctrl-C reaches this script only, which then stops the children in order.
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-c", CLI, *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes], name: str) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in 30 s; killing it", file=sys.stderr)
            proc.kill()
            proc.wait()


def _wait_healthy(url: str, service: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise SystemExit(f"the service exited early; its log:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the service did not answer at {url} within 60 s; see {log}")


def _report(recommendation: dict) -> None:
    metric = recommendation["metric"]["name"]
    print(f"\nRecommended loop settings for {recommendation['task']}:")
    for name, value in sorted(recommendation["settings"].items()):
        print(f"  {name:18} {value}")
    for split in ("validation", "test"):
        shown = recommendation[split]["display"]
        low, high = shown["ci95"]
        print(f"  {split + ' ' + metric:18} {shown['mean']:.4f}  (95% CI {low:.4f}..{high:.4f}, {recommendation[split]['n']} seeds)")
    verdict = recommendation.get("verdict")
    if verdict is not None:
        p_best = "n/a" if verdict["p_best"] is None else f"{verdict['p_best']:.2f}"
        print(f"  how sure: P(best) {p_best}; {verdict['text']}")
    for runner_up in recommendation["runners_up"]:
        print(f"  runner-up {runner_up['settings']}: test {runner_up['test']['display']['mean']:.4f}")
    spent = recommendation["spent"]
    print(f"  spent: {spent['iterations']} loop iterations, {spent['tokens']} LLM tokens, {spent['seconds']} s")
    print(f"  search ended by: {recommendation['stop_reason']} (strategy {recommendation['strategy']})")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and SIGTERM both end in the clean shutdown below (even if the shell ignored SIGINT).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description="Run the autoloop service end to end on this machine.")
    default_data = os.environ.get("AUTOLOOP_DATA") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--data", default=default_data, help=f"data directory with mlagentbench/ (default {default_data})")
    parser.add_argument("--budget-iterations", type=int, default=18, help="loop iterations over the whole study (default 18)")
    parser.add_argument("--report", metavar="FILE", help="where to write the study's HTML report (default autoloop-report-STUDY.html here)")
    args = parser.parse_args()
    data = Path(args.data).resolve()
    if not data.is_dir():
        raise SystemExit(f"no data directory at {data}; pass --data DIR (it holds mlagentbench/spaceship_titanic_train.csv)")

    home = Path(tempfile.mkdtemp(prefix="autoloop-quickstart-"))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the embedded Redis, whatever the shell says
    env.update(AUTOLOOP_HOME=str(home), PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    # The service reads only the data its operator shares; one tenant here, so it may use both workers.
    env.update(AUTOLOOP_DATA_ROOTS=str(data), AUTOLOOP_MAX_RUNS="2")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        print(f"starting the service on {url} (embedded Redis in {home}) and 2 workers ...", file=sys.stderr)
        service = _start(["serve", "--port", str(port)], env, home / "serve.log")
        procs.append(("service", service))
        _wait_healthy(url, service, home / "serve.log")
        procs.insert(0, ("workers", _start(["worker", "--processes", "2"], env, home / "worker.log")))
        token = subprocess.run(
            [sys.executable, "-c", CLI, "token", "create", "--name", "quickstart"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        with autoloop.Client(url, token) as client:
            study = client.submit(
                TASK, space=SPACE, budget_iterations=args.budget_iterations, iterations=3, seeds=1, top_k=1,
                final_seeds=2, parallel=2, data_dir=str(data),
            )
            print(f"submitted study {study.id}: {TASK}, space {SPACE}", file=sys.stderr)
            try:
                status = study.wait(progress=True)
            except autoloop.StudyFailedError as exc:
                raise SystemExit(str(exc)) from None
            if status["state"] != "finished":
                raise SystemExit(f"study {study.id} ended {status['state']}")
            _report(study.recommendation())
            report = Path(args.report or f"autoloop-report-{study.id}.html").resolve()
            report.write_text(study.report())
            print(f"\nreport written to {report} (open it in a browser; it needs no network)")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; shutting down", file=sys.stderr)
        return 130
    finally:
        for name, proc in procs:  # workers first, then the service (which stops its Redis)
            _stop(proc, name)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
