"""Two tenants on one service: how long a quiet tenant waits while another tenant's endpoint hangs.

Starts ``autoloop serve`` (embedded Redis, the operator's defaults: ``AUTOLOOP_MAX_RUNS`` = live
workers - 1, ``AUTOLOOP_MAX_LLM_TIMEOUT_S`` = 120, up to ``AUTOLOOP_MAX_STUDIES`` = 10) and
``autoloop worker --processes 2``. The quiet tenant runs one small real study (Spaceship
Titanic, ``local`` optimizer, the real sandbox) twice:

- alone;
- after the noisy tenant submitted its whole study quota, every study calling an LLM endpoint
  that accepts connections and never answers (request timeout 60 s, 2 runs in parallel each).

For each: submission -> first run started, submission -> finished, and the service's peak
memory (RSS). Then the noisy tenant cancels everything: how long until its workers are free.

Run from the repository root (it needs ``../shared/data`` or ``--data``, and root for the sandbox)::

    python benchmarks/tenant_fairness.py [--noisy-studies 10] [--timeout 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.service.hanging_endpoint import HangingEndpoint  # noqa: E402

CLI = "from autoloop.cli import main; raise SystemExit(main())"
QUIET = {
    "task": "mlpipeline:spaceship-titanic", "space": "artifact=one_function;batch_size=1,3", "iterations": 3, "seeds": 1,
    "top_k": 1, "final_seeds": 1, "parallel": 2, "optimizer": "local", "budget": {"iterations": 24},
}


class PeakRSS:
    """Samples a process's resident memory every 0.2 s; ``peak_mb`` is the largest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _post(url: str, token: str, body: dict) -> str:
    reply = httpx.post(f"{url}/v1/studies", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    if reply.status_code != 201:
        raise SystemExit(f"submission refused ({reply.status_code}): {reply.text}")
    return reply.json()["id"]


def _quiet_study(url: str, token: str, data: Path) -> tuple[float, float]:
    """Submit the quiet study; seconds to its first run's start and to its end."""
    auth = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    study = _post(url, token, {**QUIET, "data_dir": str(data)})
    first = None
    while True:
        status = httpx.get(f"{url}/v1/studies/{study}", headers=auth, timeout=60).json()
        progress = status["progress"]
        if first is None and progress["runs_running"] + progress["runs_done"] + progress["runs_failed"]:
            first = time.monotonic() - started
        if status["state"] not in ("queued", "running"):
            if status["state"] != "finished":
                raise SystemExit(f"the quiet study ended {status['state']}: {status['error']}")
            return first or 0.0, time.monotonic() - started
        time.sleep(0.1)


def _token(env: dict[str, str], name: str) -> str:
    created = subprocess.run([sys.executable, "-c", CLI, "token", "create", "--name", name], env=env, check=True, capture_output=True, text=True)
    return created.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AUTOLOOP_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--noisy-studies", type=int, default=10, help="studies of the noisy tenant (default 10, its quota)")
    parser.add_argument("--timeout", type=float, default=60, help="the noisy tenant's LLM request timeout (default 60 s)")
    args = parser.parse_args()
    data = Path(args.data).resolve() / "mlagentbench"
    with tempfile.TemporaryDirectory(prefix="al-bench-") as home, HangingEndpoint() as hanging:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "AUTOLOOP_MAX", "OPENAI_", "AUTOLOOP_LLM"))}
        env.update(AUTOLOOP_HOME=home, AUTOLOOP_DATA_ROOTS=str(data), AUTOLOOP_LLM_ALLOW="127.0.0.1", PYTHONPATH=str(ROOT))
        port = 18000 + os.getpid() % 1000
        url = f"http://127.0.0.1:{port}"
        with open(Path(home) / "serve.log", "wb") as log:
            service = subprocess.Popen([sys.executable, "-c", CLI, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        _wait_up(url, service)
        with open(Path(home) / "worker.log", "wb") as log:
            workers = subprocess.Popen([sys.executable, "-c", CLI, "worker", "--processes", "2"], env=env, stdout=log, stderr=log)
        try:
            quiet, noisy = _token(env, "quiet"), _token(env, "noisy")
            memory = PeakRSS(service.pid)
            alone = _quiet_study(url, quiet, data)
            alone_mb = memory.stop()
            memory = PeakRSS(service.pid)
            hung = [
                _post(url, noisy, {
                    "task": "mlpipeline:spaceship-titanic", "data_dir": str(data), "parallel": 2, "optimizer": "llm",
                    "llm": {"base_url": hanging.base_url, "timeout_s": args.timeout, "max_retries": 0}, "budget": {"iterations": 60},
                    "preset": "quick",
                })
                for _ in range(args.noisy_studies)
            ]
            while hanging.accepted == 0:
                time.sleep(0.1)
            loaded = _quiet_study(url, quiet, data)
            loaded_mb = memory.stop()
            cancelled = time.monotonic()
            for study in hung:
                httpx.delete(f"{url}/v1/studies/{study}", headers={"Authorization": f"Bearer {noisy}"}, timeout=60)
            freed = _wait_free(Path(home), noisy) - cancelled
        finally:
            workers.terminate()
            workers.wait(60)
            service.terminate()
            service.wait(60)
    print(f"quiet study: {QUIET['task']} {QUIET['space']}, budget {QUIET['budget']['iterations']} iterations; 2 worker processes")
    print(f"noisy tenant: {args.noisy_studies} studies on a hanging endpoint, timeout {args.timeout:g} s, 2 runs in parallel each")
    print(f"{'quiet tenant':14} {'first run after':>16} {'finished after':>15} {'service peak RSS':>17}")
    for name, (first, total), mb in (("alone", alone, alone_mb), ("noisy tenant", loaded, loaded_mb)):
        print(f"{name:14} {first:15.1f}s {total:14.1f}s {mb:15.0f}MB")
    print(f"loaded / alone: first run {loaded[0] / alone[0]:.2f}x, finished {loaded[1] / alone[1]:.2f}x")
    print(f"noisy tenant's {args.noisy_studies} studies cancelled: its workers free after {freed:.1f}s")
    return 0


def _wait_up(url: str, service: subprocess.Popen[bytes]) -> None:
    while service.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the service exited; see its serve.log")


def _wait_free(home: Path, token: str) -> float:
    """``time.monotonic()`` once the tenant of ``token`` holds no run slot (no run of its is on a worker)."""
    from autoloop.executors import RunSlots
    from autoloop.redisdb import connect
    from autoloop.service import check_token

    client = connect(data_dir=home)
    slots, owner = RunSlots(client), check_token(client, token).owner
    while slots.holders(owner):
        time.sleep(0.05)
    return time.monotonic()


if __name__ == "__main__":
    raise SystemExit(main())
