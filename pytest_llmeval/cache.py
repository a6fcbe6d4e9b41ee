"""Response store: every answer is written the moment it arrives, so nothing is lost.

SQLite in WAL mode lets several xdist workers write to one file at once; each write is its own
short transaction, so a run killed with ``kill -9`` keeps every call that finished. The key is a
hash of the endpoint, the model, the full request body and a salt (the repeat index), never
of the API key.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .records import SerializedOnce


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _member(value: Any) -> str:
    if type(value) is not SerializedOnce:
        return _canonical(value)
    if value.canonical is None:
        value.canonical = _canonical(value)  # the encoder writes a list subclass as a list
    return value.canonical


def request_key(base_url: str, model: str, body: dict[str, Any], salt: str = "") -> str:
    """Stable identity of one request: same inputs, same key, on any worker.

    The text hashed is `_canonical({"url", "model", "body", "salt"})`, written member by
    member so that a `SerializedOnce` value is not written again (same text, same key)."""
    if any(type(value) is SerializedOnce for value in body.values()):
        members = ",".join(
            f"{_canonical(name)}:{_member(value)}" for name, value in sorted(body.items())
        )
        canonical = (
            f'{{"body":{{{members}}},"model":{_canonical(model)},'
            f'"salt":{_canonical(salt)},"url":{_canonical(base_url)}}}'
        )
    else:  # one call to the encoder is faster when there is nothing to splice in
        canonical = _canonical({"url": base_url, "model": model, "body": body, "salt": salt})
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _while_locked(action: Callable[[], Any], seconds: float = 60.0) -> Any:
    """Run `action`, retrying while another process holds the file: switching a new file to
    WAL (two xdist workers starting at once) fails with "database is locked" at once, without
    waiting for sqlite's busy timeout."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.05)


class CacheError(Exception):
    """The cache file cannot be opened as a store; the message is one line."""


class ResponseCache:
    """A key → JSON store shared by processes; thread-safe within one process."""

    def __init__(self, path: Path) -> None:
        try:
            self._open(path)
        except (sqlite3.Error, OSError) as error:
            raise CacheError(
                f"--llm-cache {path}: {error} (pass another file or --llm-no-cache)"
            ) from None

    def _open(self, path: Path) -> None:
        if path.is_dir():
            raise IsADirectoryError("is a folder, not a file")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
        _while_locked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
        self._db.execute("PRAGMA synchronous=NORMAL")
        _while_locked(
            lambda: self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
        )

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        text = json.dumps(value)  # ASCII: any text a model sends survives (lone surrogates)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, value) VALUES (?, ?)", (key, text)
            )

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
