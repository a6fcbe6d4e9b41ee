"""A progress line for long runs: samples done as they finish (not in test order), calls in
flight (and the limit the endpoints allow, when 429s cut it), tokens per second and the time
left, every few seconds on the terminal."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Counted by the runtime as calls start and samples finish (from the engine's thread)."""

    total: int = 0
    done: int = 0
    in_flight: int = 0
    completion_tokens: int = 0
    limit: Callable[[], int | None] | None = None
    """Calls the model's endpoints allow in flight now, when 429/503s cut it below
    --llm-concurrency (None: at the ceiling)."""
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.completion_tokens / elapsed
        left = self.total - self.done
        eta = f"{_duration(elapsed / self.done * left)}" if self.done else "?"
        allowed = self.limit() if self.limit is not None else None
        limit = f" (limit {allowed})" if allowed is not None else ""
        return (
            f"llmeval: {self.done}/{self.total} samples done, {self.in_flight} in flight{limit}, "
            f"{rate:.1f} tokens/s out, {_duration(elapsed)} elapsed, ETA {eta}"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class ProgressLine:
    """Writes `progress.line()` at most every `interval` seconds, when `tick` is called while
    a test waits for its sample (on pytest's main thread, so output capture can step aside)."""

    def __init__(self, progress: Progress, write: Callable[[str], None], interval: float) -> None:
        self._progress = progress
        self._write = write
        self._interval = interval
        self._last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._write(self._progress.line())
