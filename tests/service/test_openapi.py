"""schemathesis against the service's OpenAPI spec: no input makes the service answer 5xx."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from autoloop.redisdb import EmbeddedRedis
from autoloop.service import OperatorSettings, create_app, create_token
from autoloop.service._runner import StudyRunner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[object, str]]:
    """The app on an embedded Redis, with a real study runner, and a valid token."""
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as server:
        client = server.client()
        runner = StudyRunner(client, server.url, settings=OperatorSettings(home=Path(home)))  # uploads land in the test's home
        yield create_app(client, runner), create_token(client, "schemathesis")
        runner.shutdown()


def _with_real_task(case: schemathesis.Case) -> schemathesis.Case:
    if isinstance(case.body, dict):
        case.body["task"] = "toy:linear"
    return case


def test_no_server_errors(served: tuple[object, str]) -> None:
    app, token = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/studies", "/v1/studies/{study_id}", "/v1/tasks", "/healthz"}
    for operation in operations:
        strategy = operation.as_strategy()
        if operation.method == "post":  # random task names are all unknown (404): also try a real one
            strategy = strategy | strategy.map(_with_real_task)

        @given(case=strategy)
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            for headers in ({"Authorization": f"Bearer {token}"}, None):
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error])

        check()
