"""Quickstart: the autoloop service on one machine, end to end, with nothing installed but autoloop.

Starts ``autoloop serve`` (with its embedded Redis) and ``autoloop worker --processes 2``,
creates an API token, submits a small tuning study through the Python client, shows its
progress, prints the recommendation, writes the study's HTML report (``--report``) and says
where, and shuts everything down, also on Ctrl-C. No LLM endpoint and no data are needed:
loops use the offline ``local`` optimizer.

The task is ``cartpole:balance`` from the example plug-in ``examples/autoloop-cartpole`` (a
gymnasium CartPole stepped on the trusted side, the candidate's ``act`` confined), loaded
through ``AUTOLOOP_PLUGINS``. The study searches the starting artifact (``--space`` changes that);
why they matter for the ``local`` optimizer is in the README ("What the quickstart shows").

Run from the repository root::

    python examples/quickstart.py [--budget-iterations 480] [--space SPEC] [--report FILE]
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
CARTPOLE = REPO / "examples" / "autoloop-cartpole"
TASK = "cartpole:balance"
SPACE = "artifact=lean,angle,position;credit_horizon=200;batch_size=1"
# Each run: 16 updates of the local optimizer; every setting gets seeds until the pick is certain at 95%.
PLAN = dict(iterations=16, strategy="halving", confidence=0.95, parallel=2)


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


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and SIGTERM both end in the clean shutdown below (even if the shell ignored SIGINT).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description="Run the autoloop service end to end on this machine.")
    parser.add_argument("--budget-iterations", type=int, default=480, help="loop iterations over the whole study at most (default 480)")
    parser.add_argument("--space", default=SPACE, help=f"settings to search (default {SPACE!r}; try 'credit_horizon=200,10')")
    parser.add_argument("--report", metavar="FILE", help="where to write the study's HTML report (default autoloop-report-STUDY.html here)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="autoloop-quickstart-"))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the embedded Redis, whatever the shell says
    # The example plug-in, importable by the service, the workers and their sandboxes (sys.path is bound read-only there).
    path = os.pathsep.join(filter(None, [str(REPO), str(CARTPOLE), env.get("PYTHONPATH")]))
    env.update(AUTOLOOP_HOME=str(home), PYTHONPATH=path, AUTOLOOP_PLUGINS="autoloop_cartpole.plugin")
    env.update(AUTOLOOP_MAX_RUNS="2")  # one tenant here, so it may use both workers
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
            study = client.submit(TASK, space=args.space, budget_iterations=args.budget_iterations, optimizer="local", **PLAN)
            print(f"submitted study {study.id}: {TASK}, space {args.space}", file=sys.stderr)
            try:
                status = study.wait(progress=True)
            except autoloop.StudyFailedError as exc:
                raise SystemExit(str(exc)) from None
            if status["state"] != "finished":
                raise SystemExit(f"study {study.id} ended {status['state']}")
            print(f"\n{study.recommendation()}")
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
