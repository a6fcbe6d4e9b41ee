"""In-process concurrency: the calls of upcoming items start before their tests run.

Tests run one after another on pytest's thread; their model calls are coroutines on one
private asyncio loop that runs on that same thread whenever a test waits for its outcome (and
for one turn when the outcome is already there). No second thread: a loop on a thread of its
own fights pytest for the GIL, and every hand-over (a wake-up, a send) then waits out the
interpreter's switch interval, milliseconds per call. Replies that arrive while pytest works
wait in the kernel's buffers for the next turn, a fraction of a millisecond later. When an item
asks for its outcome, the prefetcher makes sure the next items' calls are in flight (a window
of twice the concurrency, so a slow item never leaves the slots idle), then runs the loop until
this item's own is done. A coroutine per call keeps hundreds of calls in flight for a few
kilobytes each; xdist workers each do the same on the items their queue holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def _turn() -> None:
    await asyncio.sleep(0)


def _run_nested(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """`loop.run_until_complete(coro)`, also inside a test whose thread already runs a loop of
    its own (Playwright's sync API, say): that loop is set aside meanwhile. Its callbacks wait:
    this is a synchronous call inside one of them."""
    outer = asyncio._get_running_loop()
    if outer is None:
        return loop.run_until_complete(coro)
    asyncio._set_running_loop(None)
    try:
        return loop.run_until_complete(coro)
    finally:
        asyncio._set_running_loop(outer)


class Engine:
    """An asyncio loop that runs on the caller's thread while the caller waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def submit_many(self, coros: list[Coroutine[Any, Any, T]]) -> list[asyncio.Task[T]]:
        """Start several coroutines; they run from the next wait on."""
        return [self.loop.create_task(coro) for coro in coros]

    def until(self, task: asyncio.Task[Any], timeout: float | None = None) -> bool:
        """Run the loop until `task` is done or `timeout` seconds have passed (one turn at
        least, so calls just submitted go out); whether it is done."""
        if task.done():
            _run_nested(self.loop, _turn())
        else:
            _run_nested(self.loop, asyncio.wait([task], timeout=timeout))
        return task.done()

    def wait(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one coroutine on the loop (and whatever else is in flight) until it is done."""
        return _run_nested(self.loop, coro)

    def close(self, finalizers: Iterable[Callable[[], Coroutine[Any, Any, Any]]] = ()) -> None:
        """Cancel what is still pending, run async finalizers, close the loop."""

        async def shutdown() -> None:
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for finalizer in finalizers:
                await finalizer()

        if not self.loop.is_closed():
            _run_nested(self.loop, shutdown())
            _run_nested(self.loop, self.loop.shutdown_asyncgens())
            self.loop.close()


class Prefetcher(Generic[R]):
    """Keeps up to `concurrency` sample runs in flight ahead of the test that needs them."""

    def __init__(
        self,
        engine: Engine,
        start: Callable[[Any], Coroutine[Any, Any, R]],
        concurrency: int,
        finish: Callable[[R], Coroutine[Any, Any, R]] | None = None,
    ) -> None:
        self._engine = engine
        self._start = start
        self._finish = finish
        self._slots: asyncio.Semaphore | None = None
        self._concurrency = concurrency
        self._tasks: dict[str, asyncio.Task[R]] = {}

    async def _bounded(self, key: Any) -> R:
        """`start` holds one of the `concurrency` slots; `finish` (work after the calls, such
        as running programs) does not, so it never keeps the next runs from starting."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._concurrency)
        async with self._slots:
            result = await self._start(key)
        if self._finish is not None:
            result = await self._finish(result)
        return result

    def result(
        self,
        nodeid: str,
        key: Any,
        upcoming: Iterable[tuple[str, Any]],
        waiting: Callable[[], None] | None = None,
        every: float = 1.0,
    ) -> R:
        """This item's result; first start the next items' runs so the slots stay busy.

        `upcoming` names items not started yet; the caller keeps it within the window.
        `waiting` is called every `every` seconds while the result is not there yet.
        """
        fresh = [(i, k) for i, k in upcoming if i not in self._tasks]
        if nodeid not in self._tasks:
            fresh.insert(0, (nodeid, key))
        if fresh:
            started = self._engine.submit_many([self._bounded(k) for _, k in fresh])
            self._tasks.update(zip((i for i, _ in fresh), started))
        task = self._tasks[nodeid]
        try:
            while not self._engine.until(task, every if waiting else None):
                waiting()  # type: ignore[misc]
            return task.result()
        finally:
            self._tasks.pop(nodeid, None)
