"""The ``llm`` optimizer against a real OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import time

import pytest

from autoloop.artifact import Artifact
from autoloop.context import Attempt, build_context
from autoloop.errors import ConfigError, OptimizerError, SkippedUpdateError
from autoloop.llm import LLMConfig
from autoloop.loop import LoopRun
from autoloop.optimizers import LLMOptimizer, create_optimizer
from autoloop.optimizers._prompt import build_messages
from autoloop.settings import LoopSettings
from autoloop.trace import Step, Trace
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - fixture
from tests.toy_task import ToyTask

KEY = "sk-secret-key-123"
OLD_GUESS = "def guess(x):\n    return x\n"
NEW_GUESS = "def guess(x):\n    return 3 * x + 7\n"
ARTIFACT = Artifact(
    "start",
    {"header": "import math\n", "guess": OLD_GUESS},
    frozenset({"guess"}),
    context="Return a number close to the hidden target.",
)


def _config(server: FakeOpenAI, **overrides) -> LLMConfig:
    values = {"base_url": server.base_url, "api_key": KEY, "model": "fake", "timeout_s": 5.0, "max_retries": 2}
    return LLMConfig(**{**values, **overrides})


def _optimizer(server: FakeOpenAI, **overrides) -> LLMOptimizer:
    return LLMOptimizer(_config(server, **overrides), backoff_s=0.01, max_backoff_s=0.05)


def _context(artifact: Artifact = ARTIFACT, traces=None, memory=()):
    traces = traces or [
        Trace("train-2", "train", (Step("2", "2", "off by 11.00", -11.0),), -11.0, feedback="off by 11.00"),
        Trace("train-5", "train", (), -1000.0, feedback="Evaluation failed", error="NameError: name 'y' is not defined"),
    ]
    return build_context(artifact, traces, horizon=1000, background="Make guess(x) match the target.", memory=memory, iteration=4)


def _good(**tokens) -> Reply:
    return Reply.json({"reasoning": "the slope and offset are wrong", "updates": {"guess": NEW_GUESS}}, **tokens)


def _last_user_message(request: dict) -> str:
    return request["messages"][-1]["content"]


def test_a_scripted_reply_is_applied_to_the_editable_parameter(fake_openai):
    server = fake_openai(script=[_good()])
    optimizer = _optimizer(server)
    revised = optimizer.propose(_context())
    assert revised.parameters["guess"] == NEW_GUESS
    assert revised.parameters["header"] == ARTIFACT.parameters["header"]
    assert revised.hash != ARTIFACT.hash
    assert optimizer.last_reasoning == "the slope and offset are wrong"
    request = server.requests[0]
    assert request["model"] == "fake"
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"]["properties"]["updates"]["required"] == ["guess"]
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"
    assert KEY not in json.dumps(request)


def test_malformed_json_is_retried_with_the_parse_error_shown_to_the_model(fake_openai):
    fenced = "Here you go:\n```json\n" + json.dumps({"reasoning": "r", "updates": {"guess": NEW_GUESS}}) + "\n```"
    server = fake_openai(script=[Reply.text("I think the slope should be 3."), Reply.text(fenced)])
    revised = _optimizer(server).propose(_context())
    assert revised.parameters["guess"] == NEW_GUESS
    retry = server.requests[1]["messages"]
    assert retry[:2] == server.requests[0]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "I think the slope should be 3."}
    assert "no JSON object found in the reply" in retry[-1]["content"]


def test_unusable_replies_exhaust_the_parse_retries_with_a_clear_error(fake_openai):
    server = fake_openai(script=["nope", "still nope", '{"reasoning": "x"}'])
    with pytest.raises(OptimizerError, match=r"no usable update in 3 replies; last problem: .*\"updates\" object"):
        _optimizer(server, max_parse_retries=2).propose(_context())
    assert server.remaining == 0


@pytest.mark.parametrize(
    ("updates", "complaint"),
    [
        ({"nope": "x = 1"}, "unknown parameter 'nope'"),
        ({"header": "import os\n"}, "parameter 'header' is read-only"),
        ({"guess": "def guess(x):\n    return (\n"}, "is not valid Python"),
        ({"guess": "def predict(x):\n    return x\n"}, "must still define function(s) ['guess']"),
        ({"guess": 42}, "must be a string"),
    ],
)
def test_invalid_updates_are_rejected_and_retried(fake_openai, updates, complaint):
    server = fake_openai(script=[Reply.json({"reasoning": "r", "updates": updates}), _good()])
    revised = _optimizer(server).propose(_context())
    assert revised.parameters == {"header": "import math\n", "guess": NEW_GUESS}
    assert complaint in _last_user_message(server.requests[1])


def test_rate_limits_back_off_honour_a_capped_retry_after_and_then_succeed(fake_openai):
    server = fake_openai(script=[Reply.error(429, retry_after=0.02), Reply.error(429, retry_after=3600), _good()])
    optimizer = _optimizer(server)
    revised = optimizer.propose(_context())
    assert revised.parameters["guess"] == NEW_GUESS
    assert len(server.requests) == 3
    assert optimizer.usage.calls == 1  # failed attempts report no tokens


def test_server_errors_fail_after_the_bounded_retries_naming_the_endpoint(fake_openai):
    server = fake_openai(script=[Reply.error(500, "boom"), Reply.error(503, "still down")])
    with pytest.raises(OptimizerError, match=r"failed with HTTP 503 after 2 attempts: still down") as info:
        _optimizer(server, max_retries=1).propose(_context())
    assert server.base_url in str(info.value)


@pytest.mark.integration
def test_a_hanging_server_fails_within_the_timeout_with_a_clear_message(fake_openai):
    server = fake_openai(script=[Reply.hang(30), Reply.hang(30)])
    began = time.monotonic()
    with pytest.raises(OptimizerError, match=rf"timed out after 1s at {server.base_url} after 2 attempts"):
        _optimizer(server, timeout_s=1.0, max_retries=1).propose(_context())
    assert time.monotonic() - began < 5
    assert len(server.requests) == 2


def test_a_rejected_key_fails_at_once_without_echoing_it(fake_openai):
    server = fake_openai(script=[Reply.error(401, f"Incorrect API key provided: {KEY}")])
    with pytest.raises(OptimizerError, match="rejected the API key") as info:
        _optimizer(server).propose(_context())
    assert KEY not in str(info.value)
    assert KEY not in repr(_config(server))


def test_token_counts_are_those_the_server_reported_per_call_and_in_total(fake_openai):
    server = fake_openai(
        script=[
            Reply.text("garbage", prompt_tokens=100, completion_tokens=20),
            _good(prompt_tokens=130, completion_tokens=40),
            _good(prompt_tokens=90, completion_tokens=15),
        ]
    )
    optimizer = _optimizer(server)
    optimizer.propose(_context())
    assert (optimizer.usage.calls, optimizer.usage.prompt_tokens, optimizer.usage.completion_tokens) == (2, 230, 60)
    optimizer.propose(_context())
    assert (optimizer.usage.calls, optimizer.usage.total_tokens) == (3, 395)
    assert optimizer.client.usage == optimizer.usage
    restored = _optimizer(server)
    restored.load_state(optimizer.state())
    assert restored.usage == optimizer.usage


def test_structured_output_falls_back_to_plain_prompting_when_the_server_rejects_it(fake_openai):
    def handler(body: dict) -> Reply:
        if "response_format" in body:
            return Reply.error(400, "response_format is not supported")
        return _good()

    server = fake_openai(handler)
    optimizer = _optimizer(server)
    optimizer.propose(_context())
    optimizer.propose(_context())
    formats = [r.get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object", "json_object", None, None]
    assert "schema" in server.requests[1]["response_format"] and "schema" not in server.requests[2]["response_format"]
    assert optimizer.client.structured_format == "plain"


def test_the_llm_optimizer_needs_an_endpoint():
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        create_optimizer("llm", llm=LLMConfig())


def test_prompt_shows_parameters_evidence_memory_and_marks_read_only_parts():
    memory = (Attempt(2, "abcdef0123456789", ("guess",), -7.5), Attempt(3, "0123456789abcdef", (), -6.25))
    system, user = build_messages(_context(memory=memory))
    assert system["role"] == "system" and user["role"] == "user"
    text = user["content"]
    editable, read_only = text.split("# Read-only parameters")[0], text.split("# Read-only parameters")[1].split("# Evidence")[0]
    assert "## `guess` (editable, python)" in editable and OLD_GUESS.strip() in editable
    assert "## `header` (READ-ONLY, python)" in read_only and "import math" in read_only
    assert "## Context (READ-ONLY)\nReturn a number close to the hidden target." in read_only
    assert "Make guess(x) match the target." in text
    assert "off by 11.00" in text and "score -11" in text
    assert "Error: NameError: name 'y' is not defined" in text
    assert "iteration 2: artifact abcdef01 scored -7.5 on its batch; then changed: guess" in text
    assert "iteration 3: artifact 01234567 scored -6.25 on its batch; then changed: nothing" in text
    assert 'only editable parameter names in "updates" ("guess")' in text


def test_long_traces_keep_head_and_tail_within_the_evidence_budget():
    steps = tuple(Step(f"in-{i} " + "x" * 300, f"out-{i}", f"fb-{i}") for i in range(1, 201))
    trace = Trace("train-0", "train", steps, 1.0, feedback="done")
    small = build_messages(_context(traces=[trace]), evidence_tokens=1000)[1]["content"]
    large = build_messages(_context(traces=[trace]), evidence_tokens=100_000)[1]["content"]
    assert "in-1 " in small and "in-200 " in small
    assert "in-100 " not in small and "step(s) omitted" in small
    assert len(small) < 1000 * 4 + 3000  # evidence budget plus the fixed parts of the prompt
    assert "in-100 " in large and "omitted" not in large


@pytest.mark.integration
def test_a_loop_run_with_the_llm_optimizer_counts_tokens_in_its_result(fake_openai):
    update = {"reasoning": "fit the target", "updates": {"guess": NEW_GUESS}}
    server = fake_openai(script=[Reply.json(update, prompt_tokens=300, completion_tokens=25)] * 2)
    optimizer = create_optimizer("llm", llm=_config(server))
    result = LoopRun(ToyTask(), LoopSettings("start", iterations=2), optimizer).run()
    assert result.optimizer == "llm"
    assert result.iterations == 2
    assert (result.prompt_tokens, result.completion_tokens, result.tokens) == (600, 50, 650)
    assert result.best_val == 0.0 and result.test == 0.0
    assert "off by" in server.requests[0]["messages"][1]["content"]
    assert "then changed: guess" in server.requests[1]["messages"][1]["content"]


def test_the_fenced_format_asks_for_code_blocks_without_response_format_and_applies_them(fake_openai):
    reply = f"Reasoning: the slope and offset are wrong.\n\n### guess\n```python\n{NEW_GUESS}```\n"
    server = fake_openai(script=[Reply.text(reply)])
    optimizer = _optimizer(server, answer_format="fenced")
    revised = optimizer.propose(_context())
    assert revised.parameters["guess"] == NEW_GUESS
    assert optimizer.last_reasoning == "the slope and offset are wrong."
    request = server.requests[0]
    assert "response_format" not in request
    assert "### guess\n```python" in request["messages"][1]["content"] and "not JSON" in request["messages"][1]["content"]


def test_either_format_is_accepted_whichever_was_asked_for(fake_openai):
    fenced = f"Make it linear.\n## `guess`\n```\n{NEW_GUESS}```"
    server = fake_openai(script=[Reply.text(fenced), _good()])
    assert _optimizer(server).propose(_context()).parameters["guess"] == NEW_GUESS
    assert _optimizer(server, answer_format="fenced").propose(_context()).parameters["guess"] == NEW_GUESS


def test_a_docstring_closed_badly_inside_json_is_sent_back_with_the_exact_problem(fake_openai):
    # What the 1.5B model did: a docstring's closing quotes written as a single \" inside the JSON string.
    broken = '{"reasoning": "r", "updates": {"guess": "def guess(x):\\n    """Doc.\\"\\n    return x\\n"}}'
    server = fake_openai(script=[Reply.text(broken), _good()])
    _optimizer(server).propose(_context())
    retry = _last_user_message(server.requests[1])
    assert "the JSON object is invalid: Expecting ',' delimiter at line 1 column" in retry
    assert "near " in retry and "only the JSON object" in retry


def test_a_fenced_reply_that_is_not_python_shows_the_offending_line(fake_openai):
    server = fake_openai(script=[Reply.text("### guess\n```python\nMake the slope 3.\n```"), _good()])
    _optimizer(server, answer_format="fenced").propose(_context())
    retry = _last_user_message(server.requests[1])
    assert "the update of 'guess' is not valid Python" in retry and "'Make the slope 3.'" in retry
    assert "fenced code block per changed parameter" in retry


@pytest.mark.integration
def test_unusable_replies_are_skipped_updates_and_the_run_goes_on(fake_openai):
    server = fake_openai(script=["The slope should be three.", "Really, three.", _good()])
    optimizer = create_optimizer("llm", llm=_config(server, max_parse_retries=1))
    result = LoopRun(ToyTask(), LoopSettings("start", iterations=2), optimizer).run()
    assert result.iterations == 2 and result.stopped is None
    assert result.skipped_updates == 1
    assert result.skip_reasons[0].startswith("iteration 1: the LLM at") and "no JSON object found" in result.skip_reasons[0]
    assert result.best_val == 0.0 and result.test == 0.0  # the second update was applied
    assert optimizer.usage.calls == 3


@pytest.mark.integration
def test_consecutive_skips_end_the_run_with_its_result_kept(fake_openai):
    too_long = Reply.error(400, "This model's maximum context length is 2048 tokens")
    server = fake_openai(script=[too_long, too_long])
    optimizer = create_optimizer("llm", llm=_config(server))
    result = LoopRun(ToyTask(), LoopSettings("start", iterations=5, max_skips=2), optimizer).run()
    assert (result.iterations, result.stopped, result.skipped_updates) == (2, "skips", 2)
    assert "does not fit the context" in result.skip_reasons[-1]
    assert result.test is not None  # the baseline was still scored on test


def test_an_endpoint_that_is_down_still_fails_the_run(fake_openai):
    server = fake_openai(script=[Reply.error(503, "down"), Reply.error(503, "down")])
    optimizer = create_optimizer("llm", llm=_config(server, max_retries=1))
    with pytest.raises(OptimizerError, match="HTTP 503") as info:
        LoopRun(ToyTask(), LoopSettings("start", iterations=2), optimizer).run()
    assert not isinstance(info.value, SkippedUpdateError)
