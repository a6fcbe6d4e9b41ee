"""In-process concurrency: the calls of upcoming items start before their tests run.

Tests run one after another on pytest's main thread; their model calls run on one private
asyncio loop on a daemon thread. When an item asks for its outcome, the prefetcher makes sure
the next items' calls are already in flight (a window of twice the concurrency, so a slow item
never leaves the slots idle), then waits for this item's own. One thread and a coroutine per
call keep hundreds of calls in flight for a few kilobytes each; xdist workers each do the same
on the items their queue holds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Engine:
    """An asyncio loop on a daemon thread that runs coroutines for synchronous callers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="llmeval-engine", daemon=True
        )
        self._thread.start()

    def submit_many(
        self, coros: list[Coroutine[Any, Any, T]]
    ) -> list[concurrent.futures.Future[T]]:
        """Start several coroutines with one wake-up of the loop thread (a syscall each saved)."""
        futures: list[concurrent.futures.Future[T]] = [concurrent.futures.Future() for _ in coros]

        def start() -> None:
            for coro, future in zip(coros, futures):
                self.loop.create_task(coro).add_done_callback(
                    lambda task, future=future: _settle(future, task)
                )

        self.loop.call_soon_threadsafe(start)
        return futures

    def wait(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one coroutine on the loop and block until it is done."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self, finalizers: Iterable[Callable[[], Coroutine[Any, Any, Any]]] = ()) -> None:
        """Cancel what is still pending, run async finalizers, stop the thread."""

        async def shutdown() -> None:
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for finalizer in finalizers:
                await finalizer()

        if self.loop.is_running():
            self.wait(shutdown())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
        self.loop.close()


def _settle(future: concurrent.futures.Future[T], task: asyncio.Task[T]) -> None:
    if task.cancelled():
        future.cancel()
    elif task.exception() is not None:
        future.set_exception(task.exception())
    else:
        future.set_result(task.result())


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
        self._futures: dict[str, concurrent.futures.Future[R]] = {}

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
        fresh = [(i, k) for i, k in upcoming if i not in self._futures]
        if nodeid not in self._futures:
            fresh.insert(0, (nodeid, key))
        if fresh:
            started = self._engine.submit_many([self._bounded(k) for _, k in fresh])
            self._futures.update(zip((i for i, _ in fresh), started))
        future = self._futures[nodeid]
        try:
            while True:
                try:
                    return future.result(timeout=every if waiting else None)
                except concurrent.futures.TimeoutError:
                    waiting()  # type: ignore[misc]
        finally:
            self._futures.pop(nodeid, None)
