"""Estimated vs actual tokens and seconds per ``llm``-optimizer update, per setting of a task's space.

One command: ``python benchmarks/cost_estimate.py --base-url URL --model NAME`` (a running
OpenAI-compatible server, e.g. ``scripts/local-llm.sh start qwen2.5-coder-0.5b``) or
``--fake`` (the tests' fake OpenAI server on loopback, which counts a token per 4 characters
and answers every update with "no change", so only its prompt ratio says something). For the
first ``--settings`` settings of the task's space it prints the dry run's per-update estimate
(``update_tokens``: the optimizer's template, assumed evidence and reply) next to what
``autoloop run --iterations N`` spent per update, and their ratios (actual / estimate).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from autoloop.cli import main as autoloop
from autoloop.controller import SearchSpace, update_tokens
from autoloop.executors import resolve_template
from autoloop.llm import Endpoint
from autoloop.tasks import describe_task

ROOT = Path(__file__).resolve().parent.parent


def measured(task: str, settings: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One ``autoloop run`` of ``settings``; its JSON result."""
    argv = [
        "run", task, "--optimizer", "llm", "--model", args.model, "--base-url", args.base_url, "--iterations", str(args.iterations),
        "--artifact", settings["starting_artifact"], "--credit-horizon", str(settings["credit_horizon"]),
        "--batch-size", str(settings["batch_size"]), "--max-tokens", str(args.max_tokens), "--llm-timeout", "1800",
        "--max-skips", "0", "--json", "--data", args.data,
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = autoloop(argv)
    if code != 0:
        raise SystemExit(f"autoloop run {task} {settings} failed with exit code {code}")
    return json.loads(out.getvalue())


HEADERS = ["setting", "est prompt", "prompt", "ratio", "est completion", "completion", "ratio", "est s", "s", "ratio"]
WIDTHS = [20, 10, 7, 5, 14, 10, 5, 6, 6, 5]


def show(cells: list[str]) -> None:
    """One line of the table, printed as soon as it is measured (a slow server takes minutes a row)."""
    print("  ".join(c.rjust(w) for c, w in zip(cells, WIDTHS, strict=True)), flush=True)


def table(args: argparse.Namespace) -> None:
    endpoint = Endpoint.from_env(model=args.model, base_url=args.base_url).tuned({"max_tokens": args.max_tokens})
    template = resolve_template(args.task, data_dir=args.data, options={}, optimizer="llm", endpoint=endpoint)
    task = template.build_task()
    try:
        grid = SearchSpace.from_task(describe_task(args.task)).grid()[: args.settings]
        estimates = [update_tokens(task, template, s, memory=3) for s in grid]
    finally:
        task.close()
    show(HEADERS)
    for settings, estimate in zip(grid, estimates, strict=True):
        r = measured(args.task, settings, args)
        n = max(r["iterations"], 1)
        prompt, completion = r["prompt_tokens"] / n, r["completion_tokens"] / n
        show([
            f"{settings['starting_artifact']}/h{settings['credit_horizon']}/b{settings['batch_size']}",
            f"{estimate.prompt:.0f}", f"{prompt:.0f}", f"{prompt / estimate.prompt:.2f}",
            f"{estimate.completion:.0f}", f"{completion:.0f}", f"{completion / estimate.completion:.2f}",
            f"{estimate.seconds:.1f}", f"{r['wall_time_s'] / n:.1f}", f"{r['wall_time_s'] / n / estimate.seconds:.2f}",
        ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="mlpipeline:spaceship-titanic")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--base-url", help="a running OpenAI-compatible server")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--fake", action="store_true", help="use the tests' fake server instead (prompt ratio only)")
    parser.add_argument("--settings", type=int, default=3, help="settings of the space measured (default: 3)")
    parser.add_argument("--iterations", type=int, default=2, help="updates per run (default: 2)")
    parser.add_argument("--max-tokens", type=int, default=1024)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.fake:
            sys.path.insert(0, str(ROOT))
            from tests.fake_openai import FakeOpenAI

            args.base_url = stack.enter_context(FakeOpenAI(_no_change)).base_url
        if not args.base_url:
            parser.error("give --base-url (e.g. from scripts/local-llm.sh start qwen2.5-coder-0.5b) or --fake")
        table(args)
    return 0


def _no_change(request: dict[str, Any]) -> Any:
    """A valid update that changes nothing, its tokens counted at 4 characters each (as the estimate counts)."""
    from tests.fake_openai import Reply

    names = request["response_format"]["json_schema"]["schema"]["properties"]["updates"]["required"]
    content = json.dumps({"reasoning": "keep the artifact as it is", "updates": dict.fromkeys(names)})
    prompt = sum(len(m["content"]) for m in request["messages"]) // 4
    return Reply.text(content, prompt_tokens=prompt, completion_tokens=len(content) // 4)


if __name__ == "__main__":
    sys.exit(main())
