"""StudySecrets: API keys the service keeps for a study's runs, encrypted in Redis, never in a job.

A job names a key as ``secret:<study id>/<name>`` (see ``autoloop.llm.resolve_secret``);
the RQ workers and the service look it up here. Values are encrypted with the server key
(Fernet: AES-128-CBC with an HMAC), so neither Redis nor its append-only file holds a key in
plain text. The server key comes from ``$AUTOLOOP_SECRET_KEY`` or ``<AUTOLOOP_HOME>/secret.key``
(made by the service on first use, mode 600); workers on other machines need the same key.
The keys of a study are deleted with its terminal state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from autoloop.errors import ConfigError
from autoloop.redisdb import _keys as keys
from autoloop.redisdb._connect import data_home

if TYPE_CHECKING:
    import redis
    from cryptography.fernet import Fernet

SECRET_KEY_ENV = "AUTOLOOP_SECRET_KEY"
SECRET_KEY_FILE = "secret.key"


def server_key(*, create: bool = False, home: Path | None = None) -> bytes:
    """The key that encrypts stored secrets: ``$AUTOLOOP_SECRET_KEY``, else ``<home>/secret.key``.

    Args:
        create: Make the key file when neither exists (the service does; workers only read).
        home: The autoloop home (default ``data_home()``).

    Raises:
        ConfigError: No key, and ``create`` is false.
    """
    from cryptography.fernet import Fernet

    env = os.environ.get(SECRET_KEY_ENV)
    if env:
        return env.encode()
    path = (home or data_home()) / SECRET_KEY_FILE
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    if not path.exists():
        raise ConfigError(
            f"no key to read the service's stored secrets: set {SECRET_KEY_ENV} on this worker to the content of "
            f"the service's {path.name} (in its AUTOLOOP_HOME), or share AUTOLOOP_HOME with the service"
        )
    return path.read_bytes().strip()


class StudySecrets:
    """The per-study secret hashes (``study:<id>:secrets``).

    Args:
        client: Redis client.
        create_key: Make the server key if there is none (the service); workers only read it.
        home: Where the key file is (default ``data_home()``).
    """

    def __init__(self, client: redis.Redis, *, create_key: bool = False, home: Path | None = None) -> None:
        self.client = client
        self.create_key = create_key
        self.home = home
        self._fernet: Fernet | None = None

    @property
    def fernet(self) -> Fernet:
        """The cipher, with the server key loaded on first use (a study without secrets needs none)."""
        if self._fernet is None:
            from cryptography.fernet import Fernet

            try:
                self._fernet = Fernet(server_key(create=self.create_key, home=self.home))
            except ValueError as exc:  # not 32 url-safe base64-encoded bytes
                raise ConfigError(f"{SECRET_KEY_ENV} / {SECRET_KEY_FILE} is not a valid key ({exc})") from exc
        return self._fernet

    @staticmethod
    def secret_id(study_id: str, name: str) -> str:
        """The id of the study's secret ``name``: ``<study id>/<name>``."""
        if not name or "/" in name:
            raise ConfigError(f"a secret name must be non-empty without '/', got {name=}")
        return f"{study_id}/{name}"

    def put(self, study_id: str, name: str, value: str) -> str:
        """Store ``value`` as the study's secret ``name``; returns its id."""
        secret_id = self.secret_id(study_id, name)
        self.client.hset(keys.study_secrets(study_id), name, self.fernet.encrypt(value.encode()))
        return secret_id

    def get(self, secret_id: str) -> str | None:
        """The value stored under ``secret_id``, or ``None``."""
        from cryptography.fernet import InvalidToken

        study_id, _, name = secret_id.partition("/")
        raw = self.client.hget(keys.study_secrets(study_id), name) if name else None
        if raw is None:
            return None
        try:
            return self.fernet.decrypt(raw).decode()
        except InvalidToken:
            raise ConfigError(
                f"secret {secret_id!r} cannot be decrypted with this process's key: the service and its workers "
                f"must share {SECRET_KEY_ENV} (or AUTOLOOP_HOME)"
            ) from None

    def delete(self, study_id: str) -> None:
        """Forget every secret of a study."""
        self.client.delete(keys.study_secrets(study_id))
