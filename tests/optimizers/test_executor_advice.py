"""A dead endpoint's error says what to check for the role it plays; concurrent retries warn once."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from autoloop.errors import OptimizerError
from autoloop.llm import ChatClient, LLMConfig
from tests.fake_openai import FakeOpenAI

MESSAGES = [{"role": "user", "content": "two plus two"}]


def _dead_url() -> str:
    server = FakeOpenAI(script=[])
    server.close()  # nothing listens on this port any more
    return server.base_url


def test_a_dead_executor_gets_executor_advice_not_the_offline_optimizer() -> None:
    client = ChatClient(LLMConfig(base_url=_dead_url(), model="m", max_retries=1), backoff_s=0.01, max_backoff_s=0.05, role="executor")
    with pytest.raises(OptimizerError) as info:
        client.complete(MESSAGES)
    message = str(info.value)
    assert message.startswith("could not connect to executor LLM ") and "AUTOLOOP_EXECUTOR_BASE_URL" in message
    assert "does not replace it" in message


def test_concurrent_retries_of_one_failure_warn_once(caplog: pytest.LogCaptureFixture) -> None:
    client = ChatClient(LLMConfig(base_url=_dead_url(), model="m", max_retries=2), backoff_s=0.01, max_backoff_s=0.05, role="executor")

    def call(_: int) -> None:
        with pytest.raises(OptimizerError):
            client.complete(MESSAGES)

    with caplog.at_level(logging.DEBUG, logger="autoloop.llm"), ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(call, range(4)))
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 8 and sum(r.levelno == logging.WARNING for r in retries) == 1
