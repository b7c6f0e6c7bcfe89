"""DataAccess: which data a tenant's study may read, resolved once where the study is created.

A tenant reads its own folder (``<tenant data>/<owner id>``, where its uploads go; a relative
``data_dir`` is taken inside it) and the folders the operator shares with every tenant
(``AUTOLOOP_DATA_ROOTS``); nothing else: not another tenant's folder, not the service's home,
and, with no shared folder set, nothing outside its own folder. The path is resolved with its
symlinks followed and checked *after* resolution; a folder is walked, every entry below it
(links followed) checked the same way and its bytes counted against ``AUTOLOOP_MAX_DATA_MB``.
Whether a path is allowed is decided before whether it exists, and no message names a path,
so a refusal tells a tenant nothing about files it may not read. The study's jobs carry the
resolved path, so workers read exactly what was checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from autoloop.errors import ConfigError
from autoloop.service._operator import OperatorSettings

# A folder with more entries than this is refused rather than walked during a request.
MAX_ENTRIES = 10_000
_MiB = 1024 * 1024


class DataAccess:
    """Resolves and checks tenants' ``data_dir`` values against the operator's settings.

    Args:
        settings: The operator's folders and data limit.
    """

    def __init__(self, settings: OperatorSettings) -> None:
        self.settings = settings

    def folder_of(self, owner: str) -> Path:
        """The tenant's own data folder (it may not exist yet)."""
        return self.settings.tenants_folder / owner

    def resolve(self, owner: str, data_dir: str) -> str:
        """The real path of ``data_dir`` as ``owner`` may read it.

        Raises:
            ConfigError: (422) A malformed path, one outside what the tenant may read (itself or
                a link below it), a missing one, or more data than the limit; never naming the path.
        """
        real = self._real(owner, data_dir)
        if not self.allowed(owner, real):
            raise ConfigError(
                "data_dir: not in your data folder or a folder this service shares (the operator lists them in AUTOLOOP_DATA_ROOTS); "
                "upload the data (PUT /v1/datasets/NAME) and name it by NAME, or ask the operator to share its folder"
            )
        if not real.exists():
            raise ConfigError("data_dir: no such file or folder; upload it (PUT /v1/datasets/NAME) or check the path")
        size = self._walk(owner, real) if real.is_dir() else real.stat().st_size
        limit = self.settings.max_data_mb
        if size > limit * _MiB:
            raise ConfigError(
                f"data_dir: holds {size / _MiB:.1f} MiB, more than the {limit:g} MiB one study may read on this service "
                "(AUTOLOOP_MAX_DATA_MB); name a smaller file or folder"
            )
        return str(real)

    def allowed(self, owner: str, real: Path) -> bool:
        """True when the resolved path ``real`` is in the tenant's folder or a shared one (and not in the service's home)."""
        own = self.folder_of(owner).resolve()
        if real.is_relative_to(own):
            return True
        if real.is_relative_to(self.settings.tenants_folder.resolve()) or real.is_relative_to(self.settings.home):
            return False  # another tenant's folder, or the service's own state
        return any(real.is_relative_to(root) for root in self.settings.data_roots)

    def _real(self, owner: str, data_dir: str) -> Path:
        if "\0" in data_dir or not data_dir.strip():
            raise ConfigError("data_dir: must be a non-empty path without NUL characters")
        if data_dir.startswith("~"):
            raise ConfigError("data_dir: '~' means nothing on the service; give an absolute path, or a path inside your data folder")
        path = Path(data_dir)
        if not path.is_absolute():
            path = self.folder_of(owner) / path
        try:
            return path.resolve()
        except (OSError, RuntimeError):  # a symlink loop, a name too long
            raise ConfigError("data_dir: cannot be resolved (a symlink loop or a name too long); name the file or folder directly") from None

    def _walk(self, owner: str, folder: Path) -> int:
        """Bytes below ``folder``; every entry, links followed, must be allowed too."""
        size, entries, seen = 0, 0, {folder}
        for top, dirs, files in os.walk(folder, followlinks=True):
            for name in (*dirs, *files):
                entries += 1
                if entries > MAX_ENTRIES:
                    raise ConfigError(f"data_dir: holds more than {MAX_ENTRIES} files and folders; name the file or a smaller folder")
                real = (Path(top) / name).resolve()
                if not self.allowed(owner, real):
                    raise ConfigError(
                        "data_dir: the folder holds a link to something outside the data you may read; "
                        "remove the link, or name the file itself"
                    )
                if real.is_file():
                    size += real.stat().st_size
            dirs[:] = _first_visits(Path(top), dirs, seen)
        return size


def _first_visits(top: Path, dirs: list[str], seen: set[Path]) -> list[str]:
    """The folders of ``dirs`` not walked yet (a folder reached twice through links is walked once)."""
    kept = []
    for name in dirs:
        real = (top / name).resolve()
        if real not in seen:
            seen.add(real)
            kept.append(name)
    return kept
