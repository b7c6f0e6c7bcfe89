"""OperatorSettings: what the operator of a service decides for its tenants, with every default in one place.

Read once, from the service's environment, when ``autoloop serve`` starts (``OperatorSettings.from_env``);
the study runner, the API and (through Redis) the workers hold every tenant to the same object.
``VARIABLES`` maps each field to its environment variable; the dataclass's fields hold the defaults
(the README's service section lists both).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from autoloop.errors import ConfigError
from autoloop.redisdb import data_home

TENANT_DATA_FOLDER = "datasets"


def _paths(raw: str) -> tuple[Path, ...]:
    return tuple(Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip())


def _names(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _at_least(parse: Callable[[str], Any], minimum: float) -> Callable[[str], Any]:
    def checked(raw: str) -> Any:
        value = parse(raw)
        if not value >= minimum:  # NaN fails too
            raise ValueError(raw)
        return value

    return checked


# field -> (variable, parser, what it takes); the defaults are the dataclass's.
VARIABLES: dict[str, tuple[str, Callable[[str], Any], str]] = {
    "data_roots": ("AUTOLOOP_DATA_ROOTS", _paths, f"folders separated by {os.pathsep!r}"),
    "tenant_data": ("AUTOLOOP_TENANT_DATA", lambda raw: Path(raw).expanduser().resolve(), "a folder"),
    "llm_allow": ("AUTOLOOP_LLM_ALLOW", _names, "host names, IP addresses or networks separated by ','"),
    "max_studies": ("AUTOLOOP_MAX_STUDIES", _at_least(int, 1), "an integer >= 1"),
    "max_settings": ("AUTOLOOP_MAX_SETTINGS", _at_least(int, 1), "an integer >= 1"),
    "max_data_mb": ("AUTOLOOP_MAX_DATA_MB", _at_least(float, 0.001), "a number of MiB > 0"),
    "max_runs": ("AUTOLOOP_MAX_RUNS", _at_least(int, 0), "an integer >= 0 (0: the live workers minus one)"),
    "max_llm_timeout_s": ("AUTOLOOP_MAX_LLM_TIMEOUT_S", _at_least(float, 0.1), "seconds >= 0.1"),
}


@dataclass(frozen=True)
class OperatorSettings:
    """The operator's limits and trust decisions for one service (see the module docstring for the variables).

    Args:
        home: The service's state folder (``$AUTOLOOP_HOME``); tenants never read inside it,
            except their own folder of ``tenant_data``.
        data_roots: Folders every tenant may read (the operator shares them by listing them).
        tenant_data: Folder of the tenants' own data, one subfolder per owner id (default ``home/datasets``).
        llm_allow: Hosts, IP addresses and networks a tenant's endpoint may reach besides public addresses.
        max_studies: A tenant's studies queued or running at once (more: 429).
        max_settings: Settings in one study's search space (more: 422).
        max_data_mb: MiB one study's ``data_dir`` holds at most (more: 422).
        max_runs: A tenant's loop runs running at once on the workers; 0 = the live workers
            minus one (at least 1), so one tenant always leaves a worker to the others.
        max_llm_timeout_s: The longest LLM request timeout a study may ask for (longer: 422);
            a study that asks for none gets at most this.
    """

    home: Path
    data_roots: tuple[Path, ...] = ()
    tenant_data: Path | None = None
    llm_allow: tuple[str, ...] = ()
    max_studies: int = 10
    max_settings: int = 1024
    max_data_mb: float = 32.0
    max_runs: int = 0
    max_llm_timeout_s: float = 120.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().resolve())

    @property
    def tenants_folder(self) -> Path:
        """The folder of the tenants' own data: ``tenant_data``, else ``home/datasets``."""
        return self.tenant_data or self.home / TENANT_DATA_FOLDER

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, home: Path | None = None) -> OperatorSettings:
        """The settings the ``VARIABLES`` set in ``environ`` (default ``os.environ``); the rest default.

        Raises:
            ConfigError: A variable does not parse; the message names it and what it takes.
        """
        env = os.environ if environ is None else environ
        given: dict[str, Any] = {}
        for name, (variable, parse, takes) in VARIABLES.items():
            raw = env.get(variable, "").strip()
            if not raw:
                continue
            try:
                given[name] = parse(raw)
            except (ValueError, RuntimeError):  # RuntimeError: an unknown ~user
                raise ConfigError(f"{variable}={raw!r} is not valid; it takes {takes}") from None
        return cls(home=home or data_home(), **given)

    def describe(self) -> dict[str, Any]:
        """Every setting by its variable name, for the service's start-up log."""
        return {VARIABLES[f.name][0]: getattr(self, f.name) for f in fields(self) if f.name in VARIABLES}
