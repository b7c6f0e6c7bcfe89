"""Row 5 of issue 24: a tenant's LLM endpoint cannot point into the operator's network unless the
operator allows it, and even an allowed endpoint's error body never reaches the study's error."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import autoloop
from autoloop.client import StudyFailedError
from autoloop.errors import OptimizerError
from autoloop.llm import LLMConfig
from autoloop.llm._client import ChatClient
from autoloop.redisdb import keys
from tests.fake_openai import FakeOpenAI, Reply
from tests.security.tenants import LLM_VARIABLES, tenant_service
from tests.service.conftest import Cluster, cluster  # noqa: F401 - the cluster fixture

pytestmark = pytest.mark.integration

SECRET = "db_password=hunter2"
INTERNAL = (
    "http://127.0.0.1:8080/v1", "http://localhost:6379/v1", "http://[::1]:8000/v1", "http://0.0.0.0/v1", "http://10.0.0.7/v1",
    "http://192.168.1.1/v1", "http://169.254.169.254/latest", "http://[::ffff:127.0.0.1]/v1", "http://100.64.0.1/v1",
)


@pytest.fixture(autouse=True)
def _no_service_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LLM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("base_url", INTERNAL)
def test_row5_an_internal_endpoint_is_refused_unless_the_operator_allows_it(base_url: str) -> None:
    with tenant_service() as t:
        reply = t.submit(t.a, task="toy:linear", optimizer="llm", llm={"base_url": base_url, "api_key": "k"})
        assert reply.status_code == 422, reply.text
        detail = reply.json()["detail"]
        assert detail.startswith("llm.base_url: ") and "AUTOLOOP_LLM_ALLOW" in detail and base_url not in detail
        assert not t.server.client().keys("*secret*")  # nothing stored for a refused study


def test_row5_the_operator_allows_hosts_and_networks() -> None:
    with tenant_service(llm_allow=("127.0.0.1", "10.0.0.0/8", "localhost")) as t:
        for base_url in ("http://127.0.0.1:8080/v1", "http://10.1.2.3/v1", "http://localhost:9/v1"):
            reply = t.submit(t.a, task="toy:linear", optimizer="llm", llm={"base_url": base_url})
            assert reply.status_code == 201, reply.text
        assert t.submit(t.a, task="toy:linear", optimizer="llm", llm={"base_url": "http://192.168.0.1/v1"}).status_code == 422
        assert t.submit(t.a, task="toy:linear", optimizer="llm", llm={"base_url": "file:///etc/passwd"}).status_code == 422


def test_row5_an_allowed_endpoints_error_body_never_reaches_the_study(cluster: Cluster) -> None:
    cluster.start_worker(processes=1)
    token = cluster.token()
    with FakeOpenAI(lambda body: Reply.error(500, SECRET)) as internal, autoloop.Client(cluster.url, token) as client:
        body = {
            "task": "slowtoy:linear", "space": "batch_size=1", "budget": {"iterations": 40}, "iterations": 2, "seeds": 1, "top_k": 1,
            "final_seeds": 1, "parallel": 1, "optimizer": "llm", "llm": {"base_url": internal.base_url, "max_retries": 0},
            "strategy": "tpe", "pruner": "none",
        }
        created = httpx.post(f"{cluster.url}/v1/studies", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert created.status_code == 201, created.text
        study = client.study(created.json()["id"])
        with pytest.raises(StudyFailedError) as failed:
            study.wait(progress=False, poll_s=0.5, timeout_s=240)
        assert internal.requests  # the endpoint was called and answered with its secret
    error = failed.value.last_status["error"]
    assert "HTTP 500" in error and "hunter2" not in error, error
    redis = cluster.redis()
    stored = [v for key in redis.scan_iter("*") if redis.type(key) == b"hash" for v in redis.hvals(key)]
    assert not [v for v in stored if b"hunter2" in v]
    assert "hunter2" not in (cluster.home / "worker.log").read_text() + (cluster.home / "serve.log").read_text()
    assert json.loads(redis.hget(keys.study(study.id), "request"))["llm"]["base_url"] == internal.base_url


def test_row5_an_endpoint_cannot_redirect_the_call_to_a_host_nobody_checked() -> None:
    with FakeOpenAI(lambda body: Reply.text("internal answer")) as internal:
        redirecting = _Redirecting(f"{internal.base_url}/chat/completions")
        try:
            client = ChatClient(LLMConfig(base_url=redirecting.base_url, max_retries=0, quote_errors=False))
            with pytest.raises(OptimizerError, match="failed with HTTP 307 after 1 attempt: the server's reply is not shown here"):
                client.complete([{"role": "user", "content": "hi"}])
        finally:
            redirecting.close()
        assert internal.requests == []


class _Redirecting:
    """An endpoint on loopback that answers every POST with a redirect to ``target``."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_row5_the_worker_checks_every_connection_against_the_allow_list() -> None:
    """The submission check resolved the name once; a name that resolves elsewhere when the run calls
    it (DNS rebinding) is refused by the client itself, which connects to the address it checked."""
    with FakeOpenAI(lambda body: Reply.text("hello")) as server:
        by_name = server.base_url.replace("127.0.0.1", "localhost")  # a name that resolves to loopback
        refused = ChatClient(LLMConfig(base_url=by_name, max_retries=0, quote_errors=False, outbound_allow=()))
        with pytest.raises(OptimizerError, match=r"was not called: llm\.base_url: its host resolves to a loopback address"):
            refused.complete([{"role": "user", "content": "hi"}])
        assert server.requests == []
        allowed = ChatClient(LLMConfig(base_url=by_name, max_retries=0, quote_errors=False, outbound_allow=("127.0.0.0/8",)))
        assert allowed.complete([{"role": "user", "content": "hi"}]).content == "hello"
        assert server.headers[0]["host"] == by_name.split("/")[2]  # the request still names the host


def test_row5_a_study_on_its_own_endpoint_carries_the_allow_list_to_its_jobs() -> None:
    with tenant_service(llm_allow=("127.0.0.1",)) as t:
        own = t.submit(t.a, task="toy:linear", optimizer="llm", llm={"base_url": "http://127.0.0.1:9/v1"}).json()["id"]
        endpoint = t.http.app.state.records.template(own).endpoint  # type: ignore[attr-defined]
        assert endpoint.outbound_allow == ("127.0.0.1",) and endpoint.quote_errors is False
