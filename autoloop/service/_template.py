"""A study's run template, resolved once when a tenant creates the study.

The service's own environment configures the operator's endpoint (and task options such as
the Atari protocol); a tenant may name its own, if the operator's outbound policy allows it,
with a request timeout within the operator's ceiling. Keys go to the study's secrets in Redis and
the template (stored with the study, stamped into every job) carries only ``secret:``
references, which the workers resolve.
"""

from __future__ import annotations

from collections.abc import Callable

from autoloop.errors import ConfigError, UnknownNameError
from autoloop.executors import RunTemplate, resolve_template
from autoloop.llm import (
    DEFAULT_MODEL,
    SECRET_SCHEME,
    Endpoint,
    LLMConfig,
    OutboundPolicy,
    resolve_secret,
    secret_ref,
)
from autoloop.optimizers import check_optimizer, default_optimizer_name, optimizer_names
from autoloop.redisdb import StudySecrets
from autoloop.service._models import LLMOptions, StudyCreate
from autoloop.service._operator import OperatorSettings
from autoloop.service._quotas import bounded_timeout

# The study secret that holds the tenant's own API key.
TENANT_KEY = "tenant"


def tenant_endpoint(options: LLMOptions, operator: Endpoint, key_ref: str | None) -> Endpoint:
    """The endpoint a study calls.

    A tenant who names a ``base_url`` gets exactly its own key there, or none: the
    operator's key never goes to a server the tenant chose. Otherwise the operator's
    endpoint, with the tenant's model and key where given. The tenant's request settings
    (timeout, retries, temperature, max tokens, answer format) apply either way.

    Args:
        options: The tenant's endpoint options.
        operator: The service's endpoint (``Endpoint.from_env()``).
        key_ref: Reference to the tenant's key, if it gave one.
    """
    if options.base_url:
        endpoint = Endpoint.of(LLMConfig(model=options.model or DEFAULT_MODEL, base_url=options.base_url), api_key_ref=key_ref)
    else:
        endpoint = operator.model_copy(update={"model": options.model or operator.model, "api_key_ref": key_ref or operator.api_key_ref})
    return endpoint.tuned(options.request_settings())


def study_template(
    request: StudyCreate,
    study_id: str,
    secrets: StudySecrets,
    *,
    data_dir: str | None,
    operator: OperatorSettings,
    outbound: OutboundPolicy,
    check: Callable[[RunTemplate], None] | None = None,
) -> RunTemplate:
    """Resolve the template of a new study and store the keys it references under the study.

    Args:
        request: The study request.
        study_id: The new study's id.
        secrets: Where the study's keys go.
        data_dir: The request's ``data_dir`` as ``DataAccess`` resolved it (what the jobs read).
        operator: The operator's settings (the LLM timeout ceiling).
        outbound: The hosts a tenant's ``llm.base_url`` may reach.
        check: Called with the resolved template before any key is stored (e.g. ``check_data``).

    Raises:
        ConfigError: Unknown task or optimizer, ``llm`` without an endpoint, an endpoint or
            timeout the operator does not allow, a malformed task option in the service's
            environment, or what ``check`` refuses; named by request field.
    """
    tenant_key = request.llm.api_key.get_secret_value() if request.llm.api_key else None
    tenant_ref = secret_ref(SECRET_SCHEME, StudySecrets.secret_id(study_id, TENANT_KEY)) if tenant_key else None
    template = request_template(request, tenant_ref, data_dir=data_dir, operator=operator, outbound=outbound)
    if check is not None:
        check(template)
    # Stored only once the template resolved and passed its checks: a rejected request leaves no secret behind.
    if tenant_key:
        secrets.put(study_id, TENANT_KEY, tenant_key)

    def stored(ref: str) -> str:
        scheme, _, name = ref.partition(":")
        if scheme != "env":  # already a study secret
            return ref
        value = resolve_secret(ref)  # the operator's key, from the service's environment
        return secret_ref(SECRET_SCHEME, secrets.put(study_id, name, value or ""))

    return template.with_key_refs(stored)


def request_template(
    request: StudyCreate, tenant_ref: str | None, *, data_dir: str | None, operator: OperatorSettings, outbound: OutboundPolicy
) -> RunTemplate:
    """The template ``request`` resolves to, its keys as references not yet stored (a dry run stores nothing).

    Raises:
        ConfigError: As ``study_template``, but for ``check``.
    """
    if request.llm.base_url:
        outbound.check(request.llm.base_url)
    endpoint = bounded_timeout(tenant_endpoint(request.llm, Endpoint.from_env(), tenant_ref), request.llm, operator)
    # A study's error text shows an endpoint's status and a fixed reason, never what it answered;
    # a tenant's own endpoint is checked against the allow-list again on every connection.
    allow = outbound.allow if request.llm.base_url else None
    endpoint = endpoint.model_copy(update={"quote_errors": False, "outbound_allow": allow})
    _check_optimizer(request.optimizer, endpoint)
    return resolve_template(request.task, data_dir=data_dir, options=request.task_options, optimizer=request.optimizer, endpoint=endpoint)


def _check_optimizer(name: str | None, endpoint: Endpoint) -> None:
    """The optimizer's checks, in the request's field names (``resolve_template`` words them for the CLI)."""
    try:
        resolved = check_optimizer(name or default_optimizer_name(endpoint))
    except UnknownNameError:
        raise ConfigError(f"optimizer: no such optimizer on this service; choose one of {', '.join(optimizer_names())}") from None
    if resolved == "llm" and not endpoint.configured:
        raise ConfigError(
            "optimizer: llm needs an LLM endpoint and this service has none configured; set llm.base_url "
            "(and llm.api_key) or optimizer=local"
        )
