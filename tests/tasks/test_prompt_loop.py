"""``autoloop run prompt:<name> --data <file>`` end to end, against a local OpenAI-compatible server.

The server plays both LLMs, told apart by model name. The executor answers the questions of
the data file (anything else fails the test): correctly for even-numbered questions, wrongly
for odd ones, and correctly for all once the system prompt contains ``CAREFUL``, which the
scripted optimizer writes in its first update.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autoloop.tasks import get_task, task_options
from autoloop.tasks.prompt import load_dataset, split_examples
from tests.scripted_prompt_llm import EXECUTOR_MODEL, OPTIMIZER_MODEL, WRONG, ScriptedPromptLLM

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CLI = "from autoloop.cli import main; raise SystemExit(main())"
CAREFUL_PROMPT = '''def prompt():
    return "Be CAREFUL: add exactly. End with a last line 'Answer: <number>'."
'''
ROWS = [{"input": f"Question {i}: what is {i} + {i}?", "target": str(2 * i)} for i in range(40)]


def prompt_llm(answer_format: str = "{}") -> ScriptedPromptLLM:
    """The scripted LLMs for ``ROWS``; a right answer is written as ``answer_format``."""

    def reply(system: str, answer: str) -> str:
        del system
        return f"Let me add.\nAnswer: {answer if answer == WRONG else answer_format.format(answer)}"

    return ScriptedPromptLLM(((row["input"], row["target"]) for row in ROWS), CAREFUL_PROMPT, reply)


@pytest.fixture
def prompt_server():
    server = prompt_llm()
    yield server
    server.close()


def _write(folder: Path, kind: str) -> Path:
    if kind == "jsonl":
        path = folder / "arith.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    else:
        path = folder / "arith.csv"
        path.write_text("input,target\n" + "".join(f"{row['input']},{row['target']}\n" for row in ROWS))
    return path


def _cli(server: ScriptedPromptLLM, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AUTOLOOP_LLM_", "AUTOLOOP_EXECUTOR_"))}
    env |= {
        "AUTOLOOP_EXECUTOR_BASE_URL": server.server.base_url, "AUTOLOOP_EXECUTOR_MODEL": EXECUTOR_MODEL,
        "AUTOLOOP_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
    }
    argv = [*args, "--optimizer", "llm", "--model", OPTIMIZER_MODEL, "--base-url", server.server.base_url, "--batch-size", "3"]
    # cwd=REPO: the sandbox server imports autoloop from its working directory (this checkout).
    done = subprocess.run([sys.executable, "-c", CLI, *argv], env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_cli_run_on_a_jsonl_file_prints_a_result_with_a_test_score(prompt_server, tmp_path):
    data = _write(tmp_path, "jsonl")
    done = _cli(prompt_server, tmp_path, "run", "prompt:arith", "--data", str(data), "--iterations", "2", "--json")
    out = json.loads(done.stdout)
    assert (out["task"], out["metric"]["name"], out["iterations"], out["settings"]["batch_size"]) == ("prompt:arith", "accuracy", 2, 3)
    assert 0.0 < out["curve"][0][1] < 1.0  # the start prompt: only even-numbered questions right
    assert out["best_val"] == 1.0 and out["test"] == 1.0
    # Every val and test question (10 + 15, as the seeded split chose them) was asked: the test split was scored.
    splits = split_examples(load_dataset(data))
    asked = {r["messages"][1]["content"] for r in prompt_server.requests(EXECUTOR_MODEL)}
    assert {ex.input for ex in splits["val"] + splits["test"]} <= asked <= {row["input"] for row in ROWS}


def test_cli_run_on_a_csv_file_prints_the_table_with_the_test_score(prompt_server, tmp_path):
    data = _write(tmp_path, "csv")
    done = _cli(prompt_server, tmp_path, "run", "prompt:arith", "--data", str(data), "--iterations", "1")
    header, row = done.stdout.splitlines()[:2]
    assert header.startswith("task ") and row.startswith("prompt:arith ")
    assert row[header.index("test accuracy") :].split()[0] == "1.0000"  # columns are left-aligned under their headers


@pytest.mark.parametrize(("match", "expected"), [("exact", 0.0), ("numeric", 1.0), ("fuzzy", 1.0)])
def test_the_match_option_decides_what_counts_as_right(tmp_path, monkeypatch, match, expected):
    server = prompt_llm(answer_format="{}.0")  # "14.0" for "14": numerically right, not exactly
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_BASE_URL", server.server.base_url)
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_MODEL", EXECUTOR_MODEL)
    monkeypatch.setenv("AUTOLOOP_CACHE_DIR", str(tmp_path / "cache"))
    task = get_task("prompt:arith", data_dir=_write(tmp_path, "jsonl"), options={**task_options("prompt:arith"), "match": match})
    try:
        careful = task.starting_artifact("default").with_updates({"prompt": CAREFUL_PROMPT})
        traces = task.rollouts(careful, task.split("val"), None)
    finally:
        task.close()
        server.close()
    assert [t.score for t in traces] == [expected] * 10
    target = task.split("val")[0].data.target
    assert traces[0].feedback == ("Correct." if expected else f"Incorrect: the extracted answer was '{target}.0'. The expected answer is: {target}")
