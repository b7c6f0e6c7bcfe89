"""The fake OpenAI server itself: real HTTP through the openai client, loud on surprises."""

from __future__ import annotations

import time

import openai
import pytest

from tests.fake_openai import FakeOpenAI, Reply, fake_openai  # noqa: F401 - fixture

MESSAGES = [{"role": "user", "content": "say hi please"}]


def _client(server: FakeOpenAI, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, **kwargs)


def test_scripted_replies_are_served_in_order_with_usage_and_recorded(fake_openai):
    server = fake_openai(script=[Reply.text("one two", prompt_tokens=11, completion_tokens=5), "three"])
    client = _client(server)
    first = client.chat.completions.create(model="m", messages=MESSAGES)
    second = client.chat.completions.create(model="m", messages=MESSAGES, response_format={"type": "json_object"})
    assert first.choices[0].message.content == "one two"
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (11, 5)
    assert second.choices[0].message.content == "three"
    assert (second.usage.prompt_tokens, second.usage.completion_tokens) == (3, 1)
    assert server.requests[1]["response_format"] == {"type": "json_object"}
    assert server.remaining == 0


def test_a_request_beyond_the_script_fails_loudly():
    server = FakeOpenAI(script=["only"])
    client = _client(server)
    client.chat.completions.create(model="m", messages=MESSAGES)
    with pytest.raises(openai.InternalServerError, match="script has only 1"):
        client.chat.completions.create(model="m", messages=MESSAGES)
    with pytest.raises(AssertionError, match="unexpected request #2"):
        server.close()


def test_errors_carry_status_and_retry_after():
    with FakeOpenAI(handler=lambda body: Reply.error(429, "slow down", retry_after=7)) as server, pytest.raises(openai.RateLimitError) as info:
        _client(server).chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.response.headers["retry-after"] == "7"


def test_a_hanging_reply_trips_the_client_timeout_and_close_does_not_wait_for_it():
    server = FakeOpenAI(script=[Reply.hang(30)])
    began = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        _client(server, timeout=0.5).chat.completions.create(model="m", messages=MESSAGES)
    server.close()
    assert time.monotonic() - began < 5
