"""The context window as a constraint: read from the server, the whole prompt fitted to it."""

from __future__ import annotations

import math

import pytest

from autoloop.artifact import Artifact
from autoloop.context import Attempt, build_context
from autoloop.errors import ConfigError, ContextLengthError
from autoloop.llm import Endpoint, LLMConfig, read_context_window
from autoloop.loop import LoopRun
from autoloop.optimizers import LLMOptimizer, fit_messages, smallest_prompt_tokens
from autoloop.optimizers._llm_window import MIN_RUN_TOKENS, MIN_STEP_TOKENS, estimate_tokens
from autoloop.optimizers._prompt import compose
from autoloop.settings import LoopSettings
from autoloop.trace import Step, Trace
from tests.fake_openai import Reply, fake_openai  # noqa: F401 - fixture
from tests.toy_task import ToyTask

GUESS = "def guess(x):\n    return x\n" + "    # keep this line\n" * 40  # an editable parameter of ~900 characters
ARTIFACT = Artifact("start", {"guess": GUESS}, frozenset({"guess"}))
MEMORY = tuple(Attempt(i, f"{i:016x}", ("guess",), -float(i)) for i in range(1, 6))


def _context(steps: int = 40, memory=MEMORY):
    trace = Trace("train-1", "train", tuple(Step(f"in-{i} " + "x" * 200, f"out-{i}", f"fb-{i}") for i in range(1, steps + 1)), 1.0)
    return build_context(ARTIFACT, [trace], horizon=1000, background="Make guess(x) match.", memory=memory)


def test_a_roomy_window_changes_nothing_in_the_prompt():
    context = _context()
    fitted = fit_messages(context, prompt_tokens=100_000)
    text = fitted[1]["content"]
    assert "in-20 " in text and "omitted" not in text and "iteration 1:" in text and GUESS.strip() in text


def test_the_evidence_is_cut_first_and_the_parameters_never():
    context = _context()
    full = estimate_tokens(fit_messages(context, prompt_tokens=100_000))
    fitted = fit_messages(context, prompt_tokens=full - 1000)
    text = fitted[1]["content"]
    assert GUESS.strip() in text  # the editable parameter whole
    assert "omitted" in text and "in-20 " not in text  # evidence cut
    assert all(f"iteration {i}:" in text for i in range(1, 6))  # memory kept
    assert estimate_tokens(fitted) * 1.1 <= full - 1000


def test_memory_goes_once_the_evidence_is_at_its_floor():
    context = _context(steps=4)
    bare = estimate_tokens(compose(context, "json", evidence="", memory=()))  # parameters, background, instructions
    floor = MIN_RUN_TOKENS + 4 * MIN_STEP_TOKENS
    fitted = fit_messages(context, prompt_tokens=math.ceil((bare + floor + 50) * 1.1))
    text = fitted[1]["content"]
    assert GUESS.strip() in text and "older attempt(s) left out to fit the model's context window" in text
    assert "iteration 5:" in text and "iteration 1:" not in text  # the oldest went first


def test_a_prompt_that_cannot_fit_is_a_context_length_error_with_the_numbers():
    with pytest.raises(ContextLengthError, match=r"parameters and instructions take about \d+ tokens.*lower the batch size"):
        fit_messages(_context(), prompt_tokens=300)


def test_the_smallest_prompt_grows_with_batch_times_horizon():
    one = smallest_prompt_tokens(1, 1)
    assert smallest_prompt_tokens(4, 100) - one == 3 * MIN_RUN_TOKENS + 399 * MIN_STEP_TOKENS
    assert smallest_prompt_tokens(1, 1, "fenced") > 0


def test_the_window_must_leave_room_for_the_reply():
    with pytest.raises(ConfigError, match="context_window must exceed max_tokens"):
        LLMConfig(base_url="http://127.0.0.1:1/v1", max_tokens=1024, context_window=1024)
    assert Endpoint.from_env(environ={"AUTOLOOP_LLM_CONTEXT_WINDOW": "4096"}).context_window == 4096


@pytest.mark.integration
def test_an_update_too_long_for_the_window_is_skipped_without_a_request(fake_openai):
    server = fake_openai(script=[])  # any request at all would fail the test
    config = LLMConfig(base_url=server.base_url, model="fake", max_tokens=256, context_window=300)
    result = LoopRun(ToyTask(), LoopSettings("start", iterations=2, max_skips=0), LLMOptimizer(config)).run()
    assert result.skipped_updates == 2 and result.iterations == 2
    assert "the prompt does not fit" in result.skip_reasons[0] and "but 44 tokens are left" in result.skip_reasons[0]
    assert server.requests == []


@pytest.mark.integration
def test_the_window_is_read_from_llama_cpp_props_then_from_the_models_list(fake_openai):
    props = fake_openai(script=[], props_window=8192, context_window=32768)
    assert read_context_window(props.base_url, "fake") == 8192  # the context a request gets, not the model's limit
    listed = fake_openai(script=[], context_window=4096)
    assert read_context_window(listed.base_url, "fake") == 4096
    assert listed.gets == ["/props", "/v1/models"]
    silent = fake_openai(script=[])
    assert read_context_window(silent.base_url, "fake") is None


def test_an_unreachable_server_reports_no_window():
    assert read_context_window("http://127.0.0.1:9/v1", "fake", timeout_s=1) is None
