"""Per-evaluation overhead of ``autoloop.sandbox.Sandbox``.

Times a trivial entry function, in one run: called in-process; through a ``Sandbox``
back to back (the server must fork each child while the caller waits); through a
``Sandbox`` with the caller busy for a while between calls, as in a real loop (the
server forks the next child in that time, so only the request/response path is left);
and through a fresh interpreter per call (what a sandbox without a persistent server
would cost). Each is measured without preloads and with scikit-learn preloaded.
``calls/s`` is one over the mean latency (the caller's own work is not counted).
``--unconfined`` adds the same sandboxed rows with the kernel confinement switched off
(``AUTOLOOP_UNSAFE_SANDBOX=1``: rlimits and the audit hook only), to show what the
namespaces, slot uid and seccomp filter cost, in the same run. ``--bwrap`` adds a fresh
interpreter per call inside ``bwrap`` (namespaces, the same read-only paths, no
capabilities): what confining each call with bubblewrap instead would cost.

Run from the repository root::

    python benchmarks/sandbox_overhead.py [--calls 300] [--fresh-calls 5] [--gap-ms 50] [--unconfined] [--bwrap]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the server imports this module

from autoloop.sandbox import Limits, Sandbox
from autoloop.sandbox._view import child_view
from autoloop.sandbox._wire import UNSAFE_ENV

ENTRY = "benchmarks.sandbox_overhead:trivial"
SKLEARN = ("numpy", "sklearn.ensemble", "sklearn.linear_model")


def trivial(value: Any) -> Any:
    """The evaluation being timed: return the argument."""
    return value


def _timings(fn: Callable[[], object], calls: int, warmup: int = 3, gap_s: float = 0.0) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(calls):
        time.sleep(gap_s)  # stands in for the caller's own work between evaluations
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


@contextlib.contextmanager
def _unconfined(enabled: bool) -> Iterator[None]:
    """Start servers without kernel confinement (and quiet its per-call warning) while active."""
    if not enabled:
        yield
        return
    sandbox_logger = logging.getLogger("autoloop.sandbox")
    level = sandbox_logger.level
    os.environ[UNSAFE_ENV] = "1"
    sandbox_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        del os.environ[UNSAFE_ENV]
        sandbox_logger.setLevel(level)


def _sandboxed(preload: tuple[str, ...], calls: int, gap_s: float, *, unconfined: bool = False) -> list[float]:
    with _unconfined(unconfined), Sandbox(limits=Limits(timeout_s=30), preload=preload) as sb:

        def one() -> None:
            out = sb.call(ENTRY, {"x": 1})
            if not out.ok:
                raise RuntimeError(f"benchmark call failed: {out.error}")

        return _timings(one, calls, gap_s=gap_s)


def _fresh_interpreter(preload: tuple[str, ...], calls: int, *, bwrap: bool = False) -> list[float]:
    imports = "".join(f"import {m}\n" for m in preload)
    code = f"{imports}from benchmarks.sandbox_overhead import trivial\ntrivial({{'x': 1}})\n"
    root = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-c", code]
    if bwrap:
        binds = [arg for path in (*child_view(), root) for arg in ("--ro-bind", path, path)]
        links = [arg for name in ("lib", "lib64", "bin") if os.path.islink(f"/{name}") for arg in
                 ("--symlink", os.readlink(f"/{name}"), f"/{name}")]  # fmt: skip
        jail = ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", *binds, *links]
        command = [*jail, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/scratch", "--chdir", root, *command]
    return _timings(lambda: subprocess.run(command, check=True, cwd=root), calls, warmup=1)


def _row(name: str, samples: list[float], baseline_p50: float) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    rate = 1 / statistics.fmean(ordered)
    return f"{name:<48} {p50 * 1e3:>10.4f} {p99 * 1e3:>10.4f} {rate:>10.1f} {p50 / baseline_p50:>12.0f}x"


def main() -> None:
    """Run every variant and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="sandboxed and in-process calls per variant")
    parser.add_argument("--fresh-calls", type=int, default=5, help="fresh-interpreter calls per variant")
    parser.add_argument("--gap-ms", type=float, default=50.0, help="caller's work between calls, second variant")
    parser.add_argument("--unconfined", action="store_true", help="also time sandboxes without kernel confinement")
    parser.add_argument("--bwrap", action="store_true", help="also time a fresh interpreter per call inside bwrap")
    args = parser.parse_args()

    in_process = _timings(lambda: trivial({"x": 1}), args.calls)
    base = statistics.median(in_process)
    rows = [_row("in-process call", in_process, base)]
    for label, preload in (("no preload", ()), ("sklearn preloaded", SKLEARN)):
        back_to_back = _sandboxed(preload, args.calls, 0.0)
        with_gap = _sandboxed(preload, args.calls, args.gap_ms / 1e3)
        fresh = _fresh_interpreter(preload, args.fresh_calls)
        rows.append(_row(f"Sandbox.call, back to back ({label})", back_to_back, base))
        rows.append(_row(f"Sandbox.call, {args.gap_ms:g} ms between ({label})", with_gap, base))
        rows.append(_row(f"fresh interpreter per call ({label})", fresh, base))
        if args.bwrap:
            jailed = _fresh_interpreter(preload, args.fresh_calls, bwrap=True)
            rows.append(_row(f"fresh interpreter in bwrap per call ({label})", jailed, base))
        if args.unconfined:
            for name, gap_s in (("back to back", 0.0), (f"{args.gap_ms:g} ms between", args.gap_ms / 1e3)):
                samples = _sandboxed(preload, args.calls, gap_s, unconfined=True)
                rows.append(_row(f"  unconfined, {name} ({label})", samples, base))
        for name, samples in (("back to back", back_to_back), (f"{args.gap_ms:g} ms between", with_gap)):
            speedup = statistics.median(fresh) / statistics.median(samples)
            rows.append(f"  -> Sandbox.call ({name}) is {speedup:.0f}x faster than a fresh interpreter ({label})")
    print(f"{'variant':<48} {'p50 ms':>10} {'p99 ms':>10} {'calls/s':>10} {'vs in-proc':>13}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
