"""The job payload decides the run: complete, frozen, no secrets, nothing read on the worker."""

from __future__ import annotations

import pytest

from autoloop.errors import ConfigError, UnknownNameError
from autoloop.executors import LoopJob, QueueEntry, resolve_template, run_job
from autoloop.llm import Endpoint, LLMConfig, resolve_secret
from autoloop.optimizers import create_optimizer
from autoloop.service._models import LLMOptions
from autoloop.service._template import tenant_endpoint
from tests.toy_task import ToyTask, local_job

ENDPOINT_VARS = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "AUTOLOOP_LLM_BASE_URL", "AUTOLOOP_LLM_API_KEY", "AUTOLOOP_LLM_MODEL")


@pytest.fixture
def operator_env(monkeypatch):
    """An environment with an endpoint and a key configured (a dead URL: nothing may call it)."""
    for name in ENDPOINT_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator")


def test_a_payload_missing_a_field_is_rejected_naming_it():
    data = local_job("r1").model_dump(mode="json")
    assert LoopJob.parse(data) == local_job("r1")
    del data["endpoint"], data["task_options"]
    with pytest.raises(ConfigError, match="missing fields: task_options, endpoint"):
        LoopJob.parse(data)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["settings"].pop("seed"), r"settings lack \['seed'\]"),
        (lambda d: d["endpoint"].pop("timeout_s"), "missing fields: endpoint.timeout_s"),
        (lambda d: d.update(optimizer=None), "invalid fields: optimizer"),
        (lambda d: d["endpoint"].update(api_key="sk-plain"), "unknown fields: endpoint.api_key"),
    ],
)
def test_an_incomplete_or_malformed_payload_is_a_config_error(change, match):
    data = local_job("r1").model_dump(mode="json")
    change(data)
    with pytest.raises(ConfigError, match=match):
        LoopJob.parse(data)
    with pytest.raises(ConfigError, match="malformed queue entry"):
        QueueEntry.parse({"study_id": "s", "job": data, "enqueued_at": 0.0})


def test_a_job_is_frozen():
    job = local_job("r1")
    with pytest.raises(ValueError, match="frozen"):
        job.optimizer = "llm"  # type: ignore[misc]


def test_create_optimizer_reads_nothing_from_the_environment(operator_env):
    with pytest.raises(ConfigError, match="needs an LLM endpoint"):
        create_optimizer("llm")  # the environment's endpoint is not filled in
    with pytest.raises(UnknownNameError, match="unknown optimizer None"):
        create_optimizer(None)  # type: ignore[arg-type]  - a worker never picks one by its environment


def test_a_local_job_runs_local_on_a_worker_whose_environment_has_an_endpoint(operator_env):
    result = run_job(local_job("r1", iterations=1), ToyTask())
    assert result.optimizer == "local" and result.task_options == {}


def test_the_template_is_resolved_once_from_the_environment(operator_env, monkeypatch):
    template = resolve_template("toy:linear")
    assert (template.optimizer, template.endpoint.base_url) == ("llm", "http://127.0.0.1:9/v1")
    assert template.endpoint.api_key_ref == "env:OPENAI_API_KEY"
    assert "sk-operator" not in template.model_dump_json()
    monkeypatch.delenv("OPENAI_BASE_URL")
    job = template.job("r1", {"starting_artifact": "start"}, score_test=False)
    assert (job.optimizer, job.endpoint.base_url) == ("llm", "http://127.0.0.1:9/v1")  # unchanged by the later environment
    assert job.endpoint.to_config().api_key == "sk-operator"  # resolved where the job runs
    with pytest.raises(ConfigError, match="llm optimizer needs an LLM endpoint"):
        resolve_template("toy:linear", optimizer="llm", endpoint=Endpoint.of(LLMConfig()))


def test_secret_references_name_what_is_missing(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(ConfigError, match="set NO_SUCH_KEY_VAR in the environment of the workers"):
        resolve_secret("env:NO_SUCH_KEY_VAR")
    with pytest.raises(ConfigError, match="cannot resolve 'vault' references"):
        resolve_secret("vault:x")


def test_the_operator_key_never_goes_to_a_base_url_the_tenant_chose(operator_env):
    operator = Endpoint.from_env()
    own = tenant_endpoint(LLMOptions(base_url="http://tenant.invalid/v1"), operator, None)
    assert (own.base_url, own.api_key_ref) == ("http://tenant.invalid/v1", None)
    with_key = tenant_endpoint(LLMOptions(base_url="http://tenant.invalid/v1"), operator, "secret:s/tenant")
    assert with_key.api_key_ref == "secret:s/tenant"
    default = tenant_endpoint(LLMOptions(), operator, None)
    assert (default.base_url, default.api_key_ref) == ("http://127.0.0.1:9/v1", "env:OPENAI_API_KEY")


def test_a_tenants_request_settings_are_carried_in_the_job_endpoint(operator_env):
    options = LLMOptions(max_tokens=300, timeout_s=20, temperature=0, max_retries=1, answer_format="fenced")
    for base_url in (None, "http://tenant.invalid/v1"):
        endpoint = tenant_endpoint(options.model_copy(update={"base_url": base_url}), Endpoint.from_env(), None)
        assert (endpoint.max_tokens, endpoint.timeout_s, endpoint.temperature, endpoint.max_retries) == (300, 20.0, 0.0, 1)
        assert endpoint.answer_format == "fenced"
        assert Endpoint.model_validate(endpoint.model_dump()) == endpoint  # survives the job payload
    assert tenant_endpoint(LLMOptions(), Endpoint.from_env(), None).max_tokens == 1024
