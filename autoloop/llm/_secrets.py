"""Secret references: a job names where an API key lives; the process that runs it looks it up.

A reference is ``scheme:name``. ``env:NAME`` reads the variable ``NAME`` of the resolving
process (the CLI's worker processes inherit the CLI's environment). ``secret:ID`` reads a
key the service stored in Redis; the processes that can read it (RQ workers, the service)
register that lookup with ``register_secret_lookup``. Keys themselves never travel in a job.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from autoloop.errors import ConfigError

ENV_SCHEME = "env"
SECRET_SCHEME = "secret"

SecretLookup = Callable[[str], "str | None"]
_LOOKUPS: dict[str, SecretLookup] = {ENV_SCHEME: lambda name: os.environ.get(name)}


def register_secret_lookup(scheme: str, lookup: SecretLookup) -> None:
    """Resolve references ``scheme:name`` with ``lookup(name)`` in this process (a later call replaces it)."""
    _LOOKUPS[scheme] = lookup


def secret_ref(scheme: str, name: str) -> str:
    """The reference ``scheme:name``."""
    return f"{scheme}:{name}"


def resolve_secret(ref: str | None) -> str | None:
    """The value ``ref`` names, or ``None`` for no reference.

    Raises:
        ConfigError: The reference is malformed, its scheme has no lookup in this process,
            or it names nothing here.
    """
    if ref is None:
        return None
    scheme, _, name = ref.partition(":")
    if not name:
        raise ConfigError(f"api_key_ref must look like 'env:NAME' or 'secret:ID', got {ref!r}")
    lookup = _LOOKUPS.get(scheme)
    if lookup is None:
        raise ConfigError(
            f"api_key_ref {ref!r}: this process cannot resolve {scheme!r} references (known: {sorted(_LOOKUPS)}); "
            "'secret:' references are resolved by `autoloop worker` processes connected to the service's Redis"
        )
    value = lookup(name)
    if not value:
        raise ConfigError(
            f"api_key_ref {ref!r} names no secret in this process: set {name} in the environment of the workers"
            if scheme == ENV_SCHEME
            else f"api_key_ref {ref!r} names no stored secret: the study's secrets expired or were deleted; create the study again"
        )
    return value
