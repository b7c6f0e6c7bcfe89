"""A service for tenant attacks: the app with a real study runner on an embedded Redis, two tenants."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from autoloop.redisdb import EmbeddedRedis
from autoloop.service import OperatorSettings, create_app, create_token
from autoloop.service._runner import StudyRunner

LLM_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "AUTOLOOP_LLM_BASE_URL", "AUTOLOOP_LLM_API_KEY")


@dataclass
class Tenants:
    """The service's HTTP client, its home, its settings, and the headers of tenants ``a`` and ``b``."""

    http: TestClient
    home: Path
    settings: OperatorSettings
    a: dict[str, str]
    b: dict[str, str]
    server: EmbeddedRedis

    def submit(self, who: dict[str, str], **body: Any) -> Any:
        """``POST /v1/studies`` as ``who``."""
        return self.http.post("/v1/studies", json=body, headers=who)


@contextlib.contextmanager
def tenant_service(**settings: Any) -> Iterator[Tenants]:
    """The service with ``OperatorSettings(home=..., **settings)``; tenants ``a`` and ``b`` have a token each.

    Clear the LLM variables first (``monkeypatch``): the service must have no endpoint of its own.
    """
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        operator = OperatorSettings(home=Path(home), **settings)
        runner = StudyRunner(client, server.url, settings=operator)
        with TestClient(create_app(client, runner), raise_server_exceptions=False) as http:
            a, b = ({"Authorization": f"Bearer {create_token(client, name)}"} for name in ("a", "b"))
            yield Tenants(http, Path(home).resolve(), operator, a, b, server)
        runner.shutdown()


def write_csv(path: Path, header: str = "x,kind", rows: int = 60) -> Path:
    """A small classification CSV (header ``header``) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header, *(f"{i % 7},{'ab'[i % 2]}" for i in range(rows))]
    path.write_text("\n".join(lines) + "\n")
    return path
