"""Checkpoint stores: where a loop run keeps its state after every iteration (file or Redis)."""

from autoloop.checkpoints._file import FileCheckpointStore
from autoloop.checkpoints._redis import RedisCheckpointStore
from autoloop.checkpoints._store import Checkpoint, CheckpointStore

__all__ = ["Checkpoint", "CheckpointStore", "FileCheckpointStore", "RedisCheckpointStore"]
