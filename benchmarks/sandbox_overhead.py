"""Per-evaluation overhead of ``autoloop.sandbox.Sandbox``.

Times a trivial entry function three ways, in one run: called in-process, through a
``Sandbox`` (fork server: one confined child per call), and through a fresh interpreter
per call (what a sandbox without a persistent server would cost). Each is measured
without preloads and with scikit-learn preloaded.

Run from the repository root::

    python benchmarks/sandbox_overhead.py [--calls 300] [--fresh-calls 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the server imports this module

from autoloop.sandbox import Limits, Sandbox  # noqa: E402

ENTRY = "benchmarks.sandbox_overhead:trivial"
SKLEARN = ("numpy", "sklearn.ensemble", "sklearn.linear_model")


def trivial(value: Any) -> Any:
    """The evaluation being timed: return the argument."""
    return value


def _timings(fn: Callable[[], object], calls: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _sandboxed(preload: tuple[str, ...], calls: int) -> list[float]:
    with Sandbox(limits=Limits(timeout_s=30), preload=preload) as sb:

        def one() -> None:
            out = sb.call(ENTRY, {"x": 1})
            if not out.ok:
                raise RuntimeError(f"benchmark call failed: {out.error}")

        return _timings(one, calls)


def _fresh_interpreter(preload: tuple[str, ...], calls: int) -> list[float]:
    imports = "".join(f"import {m}\n" for m in preload)
    code = f"{imports}from benchmarks.sandbox_overhead import trivial\ntrivial({{'x': 1}})\n"
    root = str(Path(__file__).resolve().parents[1])
    return _timings(lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=root), calls, warmup=1)


def _row(name: str, samples: list[float], baseline_p50: float) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"{name:<38} {p50 * 1e3:>10.4f} {p99 * 1e3:>10.4f} {1 / statistics.fmean(ordered):>10.1f} {p50 / baseline_p50:>12.0f}x"


def main() -> None:
    """Run every variant and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="sandboxed and in-process calls per variant")
    parser.add_argument("--fresh-calls", type=int, default=5, help="fresh-interpreter calls per variant")
    args = parser.parse_args()

    in_process = _timings(lambda: trivial({"x": 1}), args.calls)
    base = statistics.median(in_process)
    rows = [_row("in-process call", in_process, base)]
    for label, preload in (("no preload", ()), ("sklearn preloaded", SKLEARN)):
        sandboxed = _sandboxed(preload, args.calls)
        fresh = _fresh_interpreter(preload, args.fresh_calls)
        rows.append(_row(f"Sandbox.call ({label})", sandboxed, base))
        rows.append(_row(f"fresh interpreter per call ({label})", fresh, base))
        speedup = statistics.median(fresh) / statistics.median(sandboxed)
        rows.append(f"  -> fork server is {speedup:.0f}x faster than a fresh interpreter ({label})")
    print(f"{'variant':<38} {'p50 ms':>10} {'p99 ms':>10} {'calls/s':>10} {'vs in-proc':>13}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
