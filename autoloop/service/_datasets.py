"""Datasets a tenant uploads (``PUT /v1/datasets/{name}``), kept in its own data folder.

The natural way to give a tenant data: the file lands in ``<tenant data>/<owner id>/<name>``
(mode 600, folder 700), where no other tenant may read, and a study names it by ``name``
(a relative ``data_dir`` is taken inside the tenant's folder). One upload holds at most
``AUTOLOOP_MAX_DATA_MB``, a tenant's folder at most ``FOLDER_FACTOR`` times that.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from autoloop.errors import ConfigError, UnknownNameError
from autoloop.service._data_access import DataAccess
from autoloop.service._models import DatasetView

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
FOLDER_FACTOR = 10
_MiB = 1024 * 1024


class Datasets:
    """The tenants' uploaded files.

    Args:
        access: Where each tenant's folder is, and the data limit.
    """

    def __init__(self, access: DataAccess) -> None:
        self.access = access

    @property
    def max_bytes(self) -> int:
        """The largest upload accepted."""
        return int(self.access.settings.max_data_mb * _MiB)

    def put(self, owner: str, name: str, body: bytes) -> DatasetView:
        """Store ``body`` as the tenant's dataset ``name`` (replacing one of that name).

        Raises:
            ConfigError: (422) A bad name, or a folder that would hold more than its limit.
        """
        folder = self._folder(owner, create=True)
        path = folder / _checked(name)
        if len(body) > self.max_bytes:
            raise ConfigError(f"body: {len(body)} bytes, more than the {self.max_bytes} one dataset may hold (AUTOLOOP_MAX_DATA_MB)")
        others = sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and p.name != path.name)
        if others + len(body) > FOLDER_FACTOR * self.max_bytes:
            raise ConfigError(
                f"body: your data folder would hold more than {FOLDER_FACTOR * self.max_bytes} bytes; delete a dataset first "
                "(DELETE /v1/datasets/{name})"
            )
        partial = folder / f".{path.name}.{secrets.token_hex(4)}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(partial, path)  # a reader sees the old file or the new one, never half of one
        return DatasetView(name=path.name, bytes=len(body))

    def list(self, owner: str) -> list[DatasetView]:
        """The tenant's datasets, by name."""
        folder = self._folder(owner, create=False)
        if not folder.is_dir():
            return []
        files = sorted(p for p in folder.iterdir() if p.is_file() and NAME.match(p.name))
        return [DatasetView(name=p.name, bytes=p.stat().st_size) for p in files]

    def delete(self, owner: str, name: str) -> None:
        """Remove the tenant's dataset ``name``.

        Raises:
            UnknownNameError: (404) It has none of that name.
        """
        path = self._folder(owner, create=False) / _checked(name)
        if not path.is_file():
            raise UnknownNameError(f"no dataset {name!r}; GET /v1/datasets lists yours")
        path.unlink()

    def _folder(self, owner: str, *, create: bool) -> Path:
        folder = self.access.folder_of(owner)
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder


def _checked(name: str) -> str:
    if not NAME.match(name):
        raise ConfigError("name: 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit (e.g. pets.csv)")
    return name
