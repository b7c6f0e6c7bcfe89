"""A few ``llm``-optimizer updates with a real model, per task and answer format.

One command: ``python benchmarks/real_llm.py`` starts Qwen2.5-Coder 1.5B with
``scripts/local-llm.sh`` on loopback (or uses ``--base-url``), runs ``autoloop run`` with
``--iterations`` updates on each task in ``--tasks`` for each answer format in ``--formats``,
and prints per run: updates applied / made (the valid-update rate: one reply per update, no
parse retries, so an unusable reply is a skipped update), tokens (prompt and completion),
seconds per update (the LLM call and the validation after it), and the score change (best
validation against the starting artifact's, and test). The ratios are from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from autoloop.cli import main as autoloop

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TASKS = "mlpipeline:spaceship-titanic,atari:Pong"
SERVER_N_CTX = 8192  # what scripts/local-llm.sh starts the server with (llama-cpp-python does not report it)


def run_one(task: str, answer_format: str, args: argparse.Namespace) -> dict[str, Any]:
    """One ``autoloop run`` with the llm optimizer; its JSON result."""
    argv = [
        "run", task, "--optimizer", "llm", "--model", args.model, "--base-url", args.base_url, "--iterations", str(args.iterations),
        "--answer-format", answer_format, "--max-tokens", str(args.max_tokens), "--context-window", str(args.context_window),
        "--llm-timeout", "1800", "--temperature", "0.2", "--max-skips", "0", "--json",
    ]
    if task.startswith("mlpipeline:"):
        argv += ["--data", args.data]
    out = io.StringIO()
    began = time.monotonic()
    with contextlib.redirect_stdout(out):
        code = autoloop(argv)
    if code != 0:
        raise SystemExit(f"autoloop run {task} ({answer_format}) failed with exit code {code}")
    result = json.loads(out.getvalue())
    result["bench_seconds"] = time.monotonic() - began
    return result


def row(task: str, answer_format: str, r: dict[str, Any]) -> list[str]:
    made = r["iterations"]
    applied = made - r["skipped_updates"]
    start_val = r["curve"][0][1]
    sign = 1 if r["metric"]["higher_is_better"] else -1
    return [
        task, answer_format, f"{applied}/{made}", str(r["tokens"]),
        f"{r['wall_time_s'] / max(made, 1):.0f}", f"{start_val:.4g}", f"{r['best_val']:.4g}", f"{sign * (r['best_val'] - start_val):+.4g}",
        "-" if r["test"] is None else f"{r['test']:.4g}",
    ]


def start_server(model: str, port: int) -> str:
    """Start ``model`` with scripts/local-llm.sh; its base URL."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "local-llm.sh"), "start", model, str(port)], check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="model scripts/local-llm.sh assembles (default: the 1.5B)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server already running (default: start --model on loopback)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--tasks", default=DEFAULT_TASKS)
    parser.add_argument("--formats", default="json,fenced")
    parser.add_argument("--iterations", type=int, default=2, help="updates per run (default: 2)")
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--context-window", type=int, default=SERVER_N_CTX)
    parser.add_argument("--data", default=os.environ.get("AUTOLOOP_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--out", help="also write every result as JSON here")
    args = parser.parse_args()
    os.environ.setdefault("AUTOLOOP_ATARI_PROTOCOL", "1x300")  # one short evaluation episode: the LLM's time dominates
    os.environ["AUTOLOOP_LLM_MAX_PARSE_RETRIES"] = "0"  # one reply per update: skipped updates count unusable replies
    started = args.base_url is None
    if started:
        args.base_url = start_server(args.model, args.port)
    results = []
    try:
        for task in args.tasks.split(","):
            for answer_format in args.formats.split(","):
                print(f"{task} ({answer_format}) ...", file=sys.stderr, flush=True)
                results.append((task, answer_format, run_one(task, answer_format, args)))
                print("  ".join(row(*results[-1])), file=sys.stderr, flush=True)  # each row as it comes: the runs are long
    finally:
        if started:
            subprocess.run(["bash", str(ROOT / "scripts" / "local-llm.sh"), "stop"], check=False)
    headers = ["task", "format", "applied", "tokens", "s/update", "start val", "best val", "change", "test"]
    table = [headers, *(row(t, f, r) for t, f, r in results)]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
    for task, answer_format, r in results:
        for reason in r["skip_reasons"]:
            print(f"skipped ({task}, {answer_format}): {reason[:300]}")
    print(f"model {args.model}, {args.iterations} update(s) per run, load average {os.getloadavg()[0]:.1f}")
    if args.out:
        Path(args.out).write_text(json.dumps([{"task": t, "format": f, **r} for t, f, r in results], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
