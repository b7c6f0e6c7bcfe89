"""Checkpoint stores: a small interface, a file store, and (with the service) a Redis store."""

from autoloop.store._base import Checkpoint, Store
from autoloop.store._file import FileStore

__all__ = ["Checkpoint", "FileStore", "Store"]
