"""Hostile HTTP input: non-finite numbers, huge bodies, absurd budgets and a Redis that is down.

Each gets a clear 4xx/503 that never echoes the input, and nothing is stored.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autoloop.redisdb import EmbeddedRedis, connect, keys
from autoloop.service import create_app, create_token
from autoloop.service._server import API_REDIS_ATTEMPTS

pytestmark = pytest.mark.integration

STUDY = {"task": "toy:linear", "budget": {"iterations": 40}, "iterations": 2}


@pytest.fixture
def api() -> Iterator[tuple[TestClient, EmbeddedRedis, dict[str, str]]]:
    """The app (API only: studies stay queued) on a fresh embedded Redis, and a token's header."""
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        headers = {"Authorization": f"Bearer {create_token(server.client(), 'attacker')}"}
        app = create_app(connect(server.url, attempts=API_REDIS_ATTEMPTS))
        with TestClient(app, raise_server_exceptions=False) as http:
            yield http, server, headers


def _studies(server: EmbeddedRedis) -> int:
    return len(server.client().keys(keys.study("*")))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_non_finite_number_is_a_422_naming_the_field_without_echoing_it(api, literal: str) -> None:
    http, server, headers = api
    body = '{"task": "toy:linear", "iterations": LITERAL, "budget": {"iterations": 40}}'.replace("LITERAL", literal)
    reply = http.post("/v1/studies", content=body, headers={**headers, "Content-Type": "application/json"})
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail.startswith("iterations:") and literal not in detail and "nan" not in detail.lower()
    assert _studies(server) == 0


def test_a_huge_body_is_refused_unread_and_not_echoed(api) -> None:
    http, server, headers = api
    body = '{"task": "toy:linear", "space": "' + "x" * (50 * 1024 * 1024) + '"}'
    reply = http.post("/v1/studies", content=body, headers={**headers, "Content-Type": "application/json"})
    assert reply.status_code == 413 and len(reply.content) < 500
    assert "xxxx" not in reply.text and _studies(server) == 0


def test_a_huge_chunked_body_without_a_length_is_refused_too(api) -> None:
    http, server, headers = api

    def chunks() -> Iterator[bytes]:
        yield b'{"task": "toy:linear", "space": "'
        for _ in range(200):
            yield b"x" * 65536
        yield b'"}'

    reply = http.post("/v1/studies", content=chunks(), headers={**headers, "Content-Type": "application/json"})
    assert reply.status_code == 413 and _studies(server) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("budget.tokens", 10**30), ("budget.iterations", 10**9), ("iterations", -1), ("seeds", 10**6), ("parallel", 0)],
)
def test_absurd_budgets_and_counts_are_refused(api, field: str, value: int) -> None:
    http, server, headers = api
    body = {**STUDY, "budget": dict(STUDY["budget"])}
    outer, _, inner = field.partition(".")
    if inner:
        body[outer][inner] = value
    else:
        body[outer] = value
    reply = http.post("/v1/studies", json=body, headers=headers)
    assert reply.status_code == 422 and reply.json()["detail"].startswith(f"{field}:"), reply.text
    assert str(value) not in reply.json()["detail"] and _studies(server) == 0


def test_redis_down_is_a_503_on_every_endpoint_not_a_500(api) -> None:
    http, server, headers = api
    server.stop()
    for method, path in (("GET", "/v1/studies"), ("POST", "/v1/studies"), ("GET", "/v1/studies/abc"), ("GET", "/healthz")):
        reply = http.request(method, path, json=STUDY if method == "POST" else None, headers=headers)
        assert reply.status_code == 503, (method, path, reply.status_code, reply.text)
        assert "Redis" in reply.json()["detail"]
