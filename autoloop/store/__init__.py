"""Checkpoint stores: a small interface, a file store, and a Redis store (used by the service)."""

from autoloop.store._base import Checkpoint, Store
from autoloop.store._file import FileStore
from autoloop.store._redis import RedisStore

__all__ = ["Checkpoint", "FileStore", "RedisStore", "Store"]
