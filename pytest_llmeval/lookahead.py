"""Which sample items this process runs next: the one place that knows pytest's and xdist's
item order, so the prefetcher can start their calls before their tests run.

A plain run follows the collection order; an xdist worker peeks at its pending queue (xdist
keeps the indices it was handed in `torun`, and the one it runs next in `nextitem_index`).
Under `--dist load` the controller keeps each worker's queue deep enough for that peek
(`deep_load_scheduling`).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest

from .runner import SampleKey

SAMPLE_ARG = "llm_sample"


def sample_key(item: pytest.Item) -> SampleKey | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get(SAMPLE_ARG) if callspec is not None else None
    return value if isinstance(value, SampleKey) else None


def window(concurrency: int) -> int:
    """How many items' calls may start ahead of the running one: twice the concurrency, so a
    slow item never leaves the slots idle."""
    return 2 * concurrency


class LookAhead:
    """The next items' (nodeid, SampleKey) pairs, each handed out once, a `window` at a time."""

    def __init__(self, session: pytest.Session, items: list[pytest.Item], window: int) -> None:
        self._session = session
        self._window = window
        self._order = [item for item in items if sample_key(item) is not None]
        self._position = {item.nodeid: index for index, item in enumerate(self._order)}
        self._frontier = 0
        self._started: set[int] = set()
        self._queue = _xdist_queue(session.config)

    def keys(self) -> list[SampleKey]:
        """Every sample item this process collected, in order."""
        return [key for item in self._order if (key := sample_key(item)) is not None]

    def after(self, item: pytest.Item) -> list[tuple[str, SampleKey]]:
        """The sample items after this one that have not been handed out yet."""
        upcoming = self._from_queue() if self._queue is not None else self._from_order(item)
        return [(i.nodeid, key) for i in upcoming if (key := sample_key(i)) is not None]

    def _from_queue(self) -> list[pytest.Item]:
        interactor, torun = self._queue  # type: ignore[misc]
        indices = [interactor.nextitem_index]
        with torun.lock() as pending:
            indices += list(islice(pending, self._window))
        fresh = [i for i in indices if isinstance(i, int) and i not in self._started]
        self._started.update(fresh)
        return [self._session.items[i] for i in fresh]

    def _from_order(self, item: pytest.Item) -> list[pytest.Item]:
        position = self._position.get(item.nodeid)
        if position is None:
            return []
        start, end = max(position + 1, self._frontier), position + 1 + self._window
        self._frontier = max(self._frontier, end)
        return self._order[start:end]


def deep_load_scheduling(config: pytest.Config, log: Any, depth: int) -> Any:
    """xdist's load scheduling, refilled so that each worker always holds `depth` items.

    Stock `--dist load` stops refilling a worker whose last item took 0.1 s or more, and
    hands out less as the run goes on: a worker's queue then falls below its look-ahead
    window and its calls in flight drop to a few. Nothing is ever taken back from a worker
    (as work stealing does), so no call already in flight is made twice.
    """
    from xdist.scheduler import LoadScheduling

    class DeepLoadScheduling(LoadScheduling):
        def schedule(self) -> None:
            first = self.collection is None
            super().schedule()  # a first share of a quarter each, fewer when the run is small
            if first and self.collection:
                for node in self.nodes:
                    self.check_schedule(node)

        def check_schedule(self, node: Any, duration: float = 0) -> None:
            if node.shutting_down:
                return
            if not self.pending:
                node.shutdown()
                return
            missing = depth - len(self.node2pending[node])
            if missing > 0:
                self._send_tests(node, missing)

    return DeepLoadScheduling(config, log)


def _xdist_queue(config: pytest.Config) -> tuple[Any, Any] | None:
    if not hasattr(config, "workerinput"):
        return None
    for plugin in config.pluginmanager.get_plugins():
        torun = getattr(plugin, "torun", None)
        if torun is not None and hasattr(torun, "lock") and hasattr(plugin, "nextitem_index"):
            return plugin, torun
    return None
