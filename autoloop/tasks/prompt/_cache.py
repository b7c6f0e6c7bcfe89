"""A persistent cache of executor replies, so a re-run never pays for the same call twice."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV_CACHE_DIR = "AUTOLOOP_CACHE_DIR"
# Named for its first user; the name stays so caches already paid for keep serving.
FILE_NAME = "bbeh_executor.sqlite"


def default_cache_dir() -> Path:
    """``$AUTOLOOP_CACHE_DIR``, else ``~/.cache/autoloop``; independent of the data directory."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env) if env else Path.home() / ".cache" / "autoloop"


@dataclass(frozen=True)
class CachedReply:
    """An executor reply with the tokens it cost when it was first made."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


def cache_key(*, model: str, prompt: str, question: str, temperature: float) -> str:
    """sha256 over everything that determines a reply: model, prompt, input and sampling temperature."""
    blob = json.dumps([model, prompt, question, temperature], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class ReplyCache:
    """A sqlite key-value file shared by threads and processes (WAL mode, one connection per call).

    Args:
        folder: Directory of the cache file (created if missing).
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, text TEXT, prompt_tokens INT, completion_tokens INT)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A short-lived connection per call: safe across threads and worker processes.
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def get(self, key: str) -> CachedReply | None:
        """The stored reply for ``key``, or ``None``."""
        with self._connect() as db:
            row = db.execute("SELECT text, prompt_tokens, completion_tokens FROM replies WHERE key = ?", (key,)).fetchone()
        return CachedReply(*row) if row else None

    def put(self, key: str, reply: CachedReply) -> None:
        """Store ``reply`` under ``key`` (the first writer wins; replies for a key are interchangeable)."""
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO replies VALUES (?, ?, ?, ?)",
                (key, reply.text, reply.prompt_tokens, reply.completion_tokens),
            )
