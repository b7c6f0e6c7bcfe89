"""A checkpoint store on the local file system: one JSON file per run, replaced atomically."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from autoloop.checkpoints._store import Checkpoint, CheckpointStore
from autoloop.errors import ConfigError, StoreError

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


class FileCheckpointStore(CheckpointStore):
    """Checkpoints as ``<root>/<run_id>.json``.

    Args:
        root: Directory to write into; created if missing.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, run_id: str) -> Path:
        if not _SAFE_ID.match(run_id):
            raise StoreError(f"run id {run_id!r} may only hold letters, digits and _.:-")
        # ':' is not portable in file names; '%' never occurs in an id, so the encoding is one-to-one
        # (mapping ':' to '_' made run ids "a:1" and "a_1" share one file).
        return self.root / f"{run_id.replace(':', '%3A')}.json"

    def save(self, run_id: str, checkpoint: Checkpoint) -> None:
        path = self._path(run_id)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(checkpoint.to_dict(), fh)
        os.replace(tmp, path)

    def load(self, run_id: str) -> Checkpoint | None:
        path = self._path(run_id)
        if not path.exists():
            return None
        try:
            return Checkpoint.from_dict(json.loads(path.read_text()))
        # ValueError: malformed JSON or bytes that are not UTF-8; TypeError, ConfigError: JSON of another shape.
        except (ValueError, TypeError, ConfigError) as exc:
            raise StoreError(f"checkpoint {path} is unreadable ({exc}); delete it to start the run afresh") from exc
