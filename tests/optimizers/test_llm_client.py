"""ChatClient, the shared chat-call wrapper, against a real server on loopback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from autoloop.errors import ConfigError, ContextLengthError, OptimizerError
from autoloop.llm import DEFAULT_MAX_TOKENS, ChatClient, Endpoint, LLMConfig
from autoloop.tasks.bbeh import executor_endpoint
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - fixture

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "two plus two"}]
SCHEMA = {"name": "answer", "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}}


def _client(base_url: str, **overrides) -> ChatClient:
    return ChatClient(LLMConfig(base_url=base_url, model="m", **overrides), backoff_s=0.01, max_backoff_s=0.05)


def test_a_plain_call_sends_no_response_format_and_counts_tokens(fake_openai):
    server = fake_openai(script=[Reply.text("four", prompt_tokens=7, completion_tokens=1)])
    client = _client(server.base_url)
    reply = client.complete(MESSAGES)
    assert (reply.content, reply.prompt_tokens, reply.completion_tokens) == ("four", 7, 1)
    assert "response_format" not in server.requests[0]
    assert server.requests[0]["messages"] == MESSAGES
    assert (client.usage.calls, client.usage.total_tokens) == (1, 8)


def test_a_bad_request_fails_at_once_with_the_server_message(fake_openai):
    server = fake_openai(script=[Reply.error(400, "messages must not be empty")])
    with pytest.raises(OptimizerError, match="HTTP 400 after 1 attempt: messages must not be empty"):
        _client(server.base_url).complete(MESSAGES)


def test_an_unreachable_endpoint_fails_after_its_retries_with_a_hint():
    server = FakeOpenAI(script=[])
    server.close()  # nothing listens on this port any more
    with pytest.raises(OptimizerError, match=r"could not connect .* after 2 attempts; .*--optimizer local"):
        _client(server.base_url, max_retries=1).complete(MESSAGES)


def test_concurrent_calls_share_one_client_and_count_every_token(fake_openai):
    server = fake_openai(lambda body: Reply.text("ok", prompt_tokens=10, completion_tokens=3))
    client = _client(server.base_url)
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: client.complete(MESSAGES), range(32)))
    assert [r.content for r in replies] == ["ok"] * 32
    assert (client.usage.calls, client.usage.prompt_tokens, client.usage.completion_tokens) == (32, 320, 96)
    assert len(server.requests) == len(server.headers) == 32


def test_persistent_rate_limiting_fails_with_the_servers_retry_after(fake_openai):
    server = fake_openai(script=[Reply.error(429, retry_after=0.01), Reply.error(429, retry_after=12)])
    with pytest.raises(OptimizerError, match=r"still rate-limiting \(HTTP 429\) after 2 attempts") as info:
        _client(server.base_url, max_retries=1).complete(MESSAGES)
    assert info.value.retry_after == 12


def test_negative_backoff_is_a_config_error_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="backoff_s"):
        ChatClient(LLMConfig(base_url="http://127.0.0.1:9/v1", model="m"), backoff_s=-1)


def test_max_tokens_is_sent_with_every_request(fake_openai):
    server = fake_openai(script=[Reply.text("a"), Reply.text("b")])
    _client(server.base_url).complete(MESSAGES)
    _client(server.base_url, max_tokens=64).complete(MESSAGES, json_schema=SCHEMA)
    assert [r["max_tokens"] for r in server.requests] == [DEFAULT_MAX_TOKENS, 64]


def test_a_500_naming_json_schema_moves_down_the_format_chain_and_is_remembered(fake_openai):
    # llama-cpp-python answers json_schema with HTTP 500 and accepts its own json_object + schema.
    def handler(body: dict) -> Reply:
        if body.get("response_format", {}).get("type") == "json_schema":
            return Reply.error(500, "Unsupported response_format type: json_schema")
        return Reply.text('{"ok": true}')

    server = fake_openai(handler)
    reply = _client(server.base_url, max_retries=3).complete(MESSAGES, json_schema=SCHEMA)
    assert reply.content == '{"ok": true}'
    assert server.requests[1]["response_format"] == {"type": "json_object", "schema": SCHEMA["schema"]}
    fresh = _client(server.base_url)  # another client of the same endpoint starts where the first got to
    assert fresh.structured_format == "json_object_schema"
    fresh.complete(MESSAGES, json_schema=SCHEMA)
    assert len(server.requests) == 3
    assert ChatClient(LLMConfig(base_url=server.base_url, model="other")).structured_format == "json_schema"


def test_a_context_length_400_is_reported_as_such_and_keeps_structured_output(fake_openai):
    message = "This model's maximum context length is 2048 tokens. However, you requested 2088 tokens."
    server = fake_openai(script=[Reply.error(400, message)])
    client = _client(server.base_url, max_tokens=40)
    with pytest.raises(ContextLengthError, match=r"does not fit the context of model 'm' .* max_tokens=40 \(HTTP 400: This model's maximum"):
        client.complete(MESSAGES, json_schema=SCHEMA)
    assert len(server.requests) == 1
    assert client.structured_format == "json_schema"


def test_llama_cpps_context_error_is_told_apart_from_a_format_rejection(fake_openai):
    server = fake_openai(script=[Reply.error(400, "Requested tokens (9000) exceed context window of 8192")])
    with pytest.raises(ContextLengthError):
        _client(server.base_url).complete(MESSAGES)


@pytest.mark.integration
def test_a_timeout_is_retried_once_at_most(fake_openai):
    server = fake_openai(script=[Reply.hang(10), Reply.hang(10)])
    with pytest.raises(OptimizerError, match=r"timed out after 0.5s .* after 2 attempts"):
        _client(server.base_url, timeout_s=0.5, max_retries=4).complete(MESSAGES)
    assert len(server.requests) == 2


def test_request_settings_come_from_the_environment_and_are_checked():
    env = {
        "AUTOLOOP_LLM_BASE_URL": "http://127.0.0.1:9/v1", "AUTOLOOP_LLM_MAX_TOKENS": "256", "AUTOLOOP_LLM_TIMEOUT_S": "12.5",
        "AUTOLOOP_LLM_TEMPERATURE": "0", "AUTOLOOP_LLM_MAX_RETRIES": "1", "AUTOLOOP_LLM_ANSWER_FORMAT": "fenced",
    }
    endpoint = Endpoint.from_env(environ=env)
    assert (endpoint.max_tokens, endpoint.timeout_s, endpoint.temperature, endpoint.max_retries) == (256, 12.5, 0.0, 1)
    assert endpoint.answer_format == "fenced" and endpoint.to_config().max_tokens == 256
    with pytest.raises(ConfigError, match="AUTOLOOP_LLM_MAX_TOKENS must be a int, got 'many'"):
        Endpoint.from_env(environ={**env, "AUTOLOOP_LLM_MAX_TOKENS": "many"})
    with pytest.raises(ConfigError, match="max_tokens must be >= 1"):
        endpoint.tuned({"max_tokens": 0})
    with pytest.raises(ConfigError, match="answer_format"):
        endpoint.tuned({"answer_format": "xml"})


def test_the_bbeh_executor_caps_its_replies_and_reads_its_own_settings(monkeypatch):
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_BASE_URL", "http://127.0.0.1:9/v1")
    endpoint = executor_endpoint()
    assert (endpoint.max_tokens, endpoint.temperature, endpoint.timeout_s) == (512, 0.0, 300.0)
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_MAX_TOKENS", "128")
    monkeypatch.setenv("AUTOLOOP_EXECUTOR_TIMEOUT_S", "30")
    assert (executor_endpoint().max_tokens, executor_endpoint().timeout_s) == (128, 30.0)
