"""Where the service keeps its Optuna studies, and how Optuna's own tools get at one.

Each study is an Optuna study named by its id, in Redis (``JournalRedisBackend`` under
``keys.OPTUNA_PREFIX``) or in the RDB given by ``autoloop serve --optuna-storage``. A trial is one
setting: its params are the knobs, its value the mean best validation over its seeds, and its
user attributes hold ``seed_values`` (seed -> best validation), ``runs`` (run id -> seed) and
``record:<run id>`` (each run's outcome). ``export_study`` copies one study to a journal file
that ``optuna-dashboard FILE`` and ``optuna.load_study`` open.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from autoloop.errors import ConfigError
from autoloop.redisdb import keys

if TYPE_CHECKING:
    import optuna


def study_storage(redis_url: str, rdb_url: str | None = None) -> str | optuna.storages.BaseStorage:
    """The storage of the service's Optuna studies: ``rdb_url`` when given, else the journal in Redis."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalRedisBackend

    if rdb_url is not None:
        return rdb_url
    with warnings.catch_warnings():  # JournalRedisBackend is marked experimental; it is what the design asks for
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return JournalStorage(JournalRedisBackend(redis_url, prefix=keys.OPTUNA_PREFIX))


def export_study(study_id: str, path: Path, *, redis_url: str, rdb_url: str | None = None) -> int:
    """Copy the Optuna study of ``study_id`` to the journal file ``path``; returns its trial count.

    Raises:
        ConfigError: ``path`` exists, or there is no such study.
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if path.exists():
        raise ConfigError(f"{path} exists; remove it or pass another -o")
    source = study_storage(redis_url, rdb_url)
    try:
        study = optuna.load_study(study_name=study_id, storage=source)
    except KeyError as exc:  # Optuna's answer for an unknown study name
        raise ConfigError(f"no Optuna study {study_id!r} in this service's storage; check the id with `autoloop status`") from exc
    optuna.copy_study(from_study_name=study_id, from_storage=source, to_storage=JournalStorage(JournalFileBackend(str(path))))
    return len(study.trials)
