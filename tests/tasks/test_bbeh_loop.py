"""BBEH end to end: llm optimizer and executor LLM against a local OpenAI-compatible server.

The server answers executor requests from the dataset targets: correctly for even-indexed
examples, wrongly for odd ones, and correctly for all once the system prompt contains
``CAREFUL`` (which the scripted optimizer writes in its first update). Anything else it is
sent fails the test.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError, OptimizerError
from autoloop.llm import LLMConfig
from autoloop.loop import LoopRun, batch_for
from autoloop.optimizers import create_optimizer
from autoloop.settings import LoopSettings
from autoloop.tasks.bbeh import BBEHTask, ExecutorLLM, executor_concurrency, load_examples, task_dir
from tests.fake_openai import FakeOpenAI, Reply
from tests.scripted_prompt_llm import EXECUTOR_MODEL, OPTIMIZER_MODEL, WRONG, ScriptedPromptLLM

pytestmark = pytest.mark.integration

VARIANT = "boolean_expressions"
CAREFUL_PROMPT = '''def prompt():
    return "Be CAREFUL: check every step. End with a last line 'Answer: <your final answer>'."
'''


def _reply(system: str, answer: str) -> str:
    if "The final answer is" in system:  # follow the format the prompt asks for
        return f"Let me work through it.\nThe final answer is: **{answer}**.\nDone."
    return f"Let me work through it.\nAnswer: {answer}"


@pytest.fixture
def bbeh_server(shared_data):
    server = ScriptedPromptLLM(((ex.input, ex.target) for ex in load_examples(task_dir(VARIANT, shared_data))), CAREFUL_PROMPT, _reply)
    yield server
    server.close()


def _task(server: ScriptedPromptLLM, shared_data, cache_dir) -> BBEHTask:
    config = LLMConfig(model=EXECUTOR_MODEL, base_url=server.server.base_url, temperature=0.0)
    return BBEHTask(VARIANT, shared_data, executor=ExecutorLLM(config, concurrency=4, cache_dir=cache_dir))


def _run(server: ScriptedPromptLLM, shared_data, cache_dir, batch_size: int, *, iterations: int = 15, score_test: bool = True):
    task = _task(server, shared_data, cache_dir)
    optimizer = create_optimizer("llm", llm=LLMConfig(model=OPTIMIZER_MODEL, base_url=server.server.base_url))
    settings = LoopSettings("default", batch_size=batch_size, iterations=iterations)
    try:
        return task, LoopRun(task, settings, optimizer, score_test=score_test).run()
    finally:
        task.close()


def _runs_in(request: dict) -> list[str]:
    return re.findall(r"## Run \d+: instance (\S+),", request["messages"][-1]["content"])


@pytest.mark.parametrize("batch_size", [1, 3, 5])
def test_loop_batches_b_traces_per_update_for_15_updates_and_reaches_full_accuracy(bbeh_server, shared_data, tmp_path, batch_size):
    _task, result = _run(bbeh_server, shared_data, tmp_path, batch_size)
    updates = bbeh_server.requests(OPTIMIZER_MODEL)
    assert result.iterations == 15 and len(updates) == 15
    assert all(len(_runs_in(r)) == batch_size for r in updates)
    # A fixed 15 updates: batch size B is B epochs over the 15 train examples.
    assert Counter(i for r in updates for i in _runs_in(r)) == {f"train-{i}": batch_size for i in range(15)}
    assert result.curve[0] == (0, 0.5)  # val = examples 15..24; the even-indexed half is answered right
    assert result.best_val == 1.0 and result.test == 1.0
    assert "CAREFUL" in result.best_artifact["parameters"]["prompt"]


def test_feedback_is_binary_and_reveals_the_expected_answer_when_wrong(bbeh_server, shared_data, tmp_path):
    task, _ = _run(bbeh_server, shared_data, tmp_path, 3, iterations=1, score_test=False)
    (update,) = bbeh_server.requests(OPTIMIZER_MODEL)
    batch = batch_for(task.split("train"), 3, 1, seed=0)
    right = [int(inst.id.split("-")[1]) % 2 == 0 for inst in batch]
    assert set(right) == {True, False}  # this seed's first batch has both kinds
    sections = re.split(r"(?=## Run \d+: )", update["messages"][-1]["content"])[1:]
    assert len(sections) == 3
    for number, (inst, section, ok) in enumerate(zip(batch, sections, right, strict=True), 1):
        assert section.startswith(f"## Run {number}: instance {inst.id}, score {int(ok)}\n")
        expected = "Correct." if ok else f"Incorrect: the extracted answer was '{WRONG}'. The expected answer is: {inst.data.target}"
        assert f"Run feedback: {expected}\n" in section


def test_a_repeated_run_makes_no_new_executor_calls(bbeh_server, shared_data, tmp_path):
    _, first = _run(bbeh_server, shared_data, tmp_path, 5)
    calls = len(bbeh_server.requests(EXECUTOR_MODEL))
    # val under 2 prompts (20) + the first batch under the start prompt (5) + train (15) and
    # test (175) under the revised prompt: every distinct (prompt, question) exactly once.
    assert calls == 215
    task, second = _run(bbeh_server, shared_data, tmp_path, 5)
    assert len(bbeh_server.requests(EXECUTOR_MODEL)) == calls
    # All 410 lookups (16 val passes x 10 + 15 updates x 5 + 175 test) come from the cache.
    assert task.executor.usage.calls == 0 and task.executor.cache_hits == 410
    assert (second.best_val, second.test, second.curve) == (first.best_val, first.test, first.curve)


def test_cli_run_uses_the_executor_settings_apart_from_the_optimizer(bbeh_server, shared_data, tmp_path, monkeypatch, capsys):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "AUTOLOOP_LLM_BASE_URL", "AUTOLOOP_LLM_API_KEY", "AUTOLOOP_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_MODEL", EXECUTOR_MODEL)
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_BASE_URL", bbeh_server.server.base_url)
    monkeypatch.setenv("AUTOLOOP_CACHE_DIR", str(tmp_path / "cache"))
    url = bbeh_server.server.base_url
    argv = ["run", f"bbeh:{VARIANT}", "--data", str(shared_data), "--batch-size", "3", "--iterations", "15"]
    code = main([*argv, "--optimizer", "llm", "--model", OPTIMIZER_MODEL, "--base-url", url, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (out["iterations"], out["settings"]["batch_size"], out["best_val"], out["test"]) == (15, 3, 1.0, 1.0)
    assert out["metric"]["name"] == "accuracy"
    assert len(bbeh_server.requests(OPTIMIZER_MODEL)) == 15 and (tmp_path / "cache" / "bbeh_executor.sqlite").is_file()


@pytest.mark.parametrize("artifact", ["default", "final_answer"])
def test_each_starting_artifact_extracts_the_answers_its_prompt_asks_for(bbeh_server, shared_data, tmp_path, artifact):
    task = _task(bbeh_server, shared_data, tmp_path)
    try:
        traces = task.rollouts(task.starting_artifact(artifact), task.split("val"), None)
    finally:
        task.close()
    assert [t.score for t in traces] == [0.0, 1.0] * 5  # val examples 15..24: even indices right
    assert traces[1].feedback == "Correct." and traces[1].metrics["accuracy"] == 1.0
    assert traces[0].feedback == f"Incorrect: the extracted answer was '{WRONG}'. The expected answer is: {task.split('val')[0].data.target}"


def test_candidate_failures_become_failed_traces_with_feedback(bbeh_server, shared_data, tmp_path):
    task = _task(bbeh_server, shared_data, tmp_path)
    start = task.starting_artifact("default")
    picky = start.with_updates({"extract_answer": "def extract_answer(response):\n    return response.split('Answer: ')[1][0] + {}['x']\n"})
    broken_prompt = start.with_updates({"prompt": "def prompt():\n    return 1 / 0\n"})
    batch = task.split("train")[:2]
    try:
        picky_traces = task.rollouts(picky, batch, 1)
        prompt_traces = task.rollouts(broken_prompt, batch, 1)
    finally:
        task.close()
    assert all(t.failed and t.score == 0.0 for t in picky_traces + prompt_traces)
    assert "extract_answer raised KeyError" in picky_traces[0].feedback
    assert f"The expected answer is: {batch[0].data.target}" in picky_traces[0].feedback
    assert picky_traces[0].steps[0].output.startswith("Let me work through it.")  # the reply stays visible
    assert "prompt() failed" in prompt_traces[0].error and "ZeroDivisionError" in prompt_traces[0].error


def test_executor_runs_requests_concurrently_up_to_the_limit(shared_data, tmp_path):
    questions = [ex.input for ex in load_examples(task_dir(VARIANT, shared_data))[:12]]
    lock = threading.Lock()
    in_flight, peak = 0, 0

    def slow(body: dict) -> Reply:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.2)
        with lock:
            in_flight -= 1
        return Reply.text(f"Answer: {len(body['messages'][1]['content'])}")

    with FakeOpenAI(slow) as server:
        executor = ExecutorLLM(LLMConfig(model=EXECUTOR_MODEL, base_url=server.base_url, temperature=0.0), concurrency=4, cache_dir=tmp_path)
        completions = executor.complete("p", questions)
    assert peak == 4
    assert [c.text for c in completions] == [f"Answer: {len(q)}" for q in questions]  # in input order
    assert executor.usage.calls == 12 and executor.usage.prompt_tokens > 0


def test_an_executor_endpoint_failure_is_an_error_naming_the_executor_settings(tmp_path):
    with FakeOpenAI(script=[Reply.error(400, "model not found")]) as server:
        executor = ExecutorLLM(LLMConfig(model=EXECUTOR_MODEL, base_url=server.base_url, temperature=0.0), cache_dir=tmp_path)
        with pytest.raises(OptimizerError, match=r"the executor LLM failed.*model not found.*AUTOLOOP_EXECUTOR_BASE_URL"):
            executor.complete("p", ["q"])
    assert executor.usage.calls == 0 and executor.cache.get("anything") is None


@pytest.mark.parametrize("env", ["lots", "0"])
def test_a_bad_executor_concurrency_variable_is_a_config_error_naming_it(monkeypatch, env):
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_CONCURRENCY", env)
    with pytest.raises(ConfigError, match="AUTOLOOP_EXECUTOR_CONCURRENCY must be a whole number"):
        executor_concurrency()


def test_an_explicit_zero_concurrency_is_rejected(tmp_path):
    config = LLMConfig(model="m", base_url="http://127.0.0.1:9", api_key="k")
    with pytest.raises(ConfigError, match="concurrency must be >= 1"):
        ExecutorLLM(config, concurrency=0, cache_dir=tmp_path)


def test_a_reset_task_runs_again_as_if_freshly_built(bbeh_server, shared_data, tmp_path):
    task = _task(bbeh_server, shared_data, tmp_path)
    settings = LoopSettings("default", batch_size=5, iterations=3)
    try:
        first = LoopRun(task, settings, create_optimizer("local")).run()
        assert task.executor.usage.calls > 0
        task.reset()
        assert task.executor.usage.calls == 0 and task.executor.cache_hits == 0
        second = LoopRun(task, settings, create_optimizer("local")).run()
    finally:
        task.close()
    assert (second.best_val, second.test, second.curve) == (first.best_val, first.test, first.curve)
