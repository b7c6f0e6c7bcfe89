"""ChatClient, the shared chat-call wrapper, against a real server on loopback."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from autoloop.errors import ConfigError, OptimizerError
from autoloop.llm import ChatClient, LLMConfig
from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - fixture

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "two plus two"}]


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
    server = fake_openai(script=[Reply.error(400, "context length exceeded")])
    with pytest.raises(OptimizerError, match="HTTP 400 after 1 attempt: context length exceeded"):
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
