"""`--llm-shard I/N`: which samples this process keeps, by a hash that is the same everywhere.

Shard I of N keeps the items whose (dataset, sample id, repeat) hash to I modulo N: sha256, not
Python's salted hash(), so every machine and every run agrees, and shards 0..N-1 partition the
items. `pytest-llmeval merge` (merge.py) puts the shards' run folders back together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import pytest

if TYPE_CHECKING:
    from .runner import SampleKey

T = TypeVar("T")

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (0-based) of `count`."""

    index: int
    count: int

    def keeps(self, dataset: str, sample_id: str, repeat: int) -> bool:
        return shard_of(dataset, sample_id, repeat, self.count) == self.index

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    @property
    def text(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(dataset: str, sample_id: str, repeat: int, count: int) -> int:
    """The shard (of `count`) an item belongs to."""
    key = f"{dataset}\0{sample_id}\0{repeat}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count


def parse_shard(value: str | None) -> Shard | None:
    """I/N as users type it (0 <= I < N); pytest.UsageError with one line otherwise."""
    if value is None or value == "":
        return None
    match = _SPEC.fullmatch(str(value))
    if match is None or not int(match[1]) < int(match[2]):
        raise pytest.UsageError(
            f"--llm-shard: expected I/N with 0 <= I < N (e.g. 0/4 for the first of 4), "
            f"got {value!r}"
        )
    return Shard(int(match[1]), int(match[2]))


def split(
    shard: Shard, items: list[T], key: Callable[[T], SampleKey | None]
) -> tuple[list[T], list[T]]:
    """(kept, dropped): the sample items of this shard, and every other test (those run in
    each shard), in their order; the other shards' sample items dropped."""
    kept, dropped = [], []
    for item in items:
        found = key(item)
        keep = found is None or shard.keeps(found.sample.dataset, found.sample.id, found.repeat)
        (kept if keep else dropped).append(item)
    return kept, dropped
