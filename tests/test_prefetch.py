"""The prefetcher on its own: no pytest run, a plain coroutine as the work."""

from __future__ import annotations

import asyncio
import threading

from pytest_llmeval.prefetch import Engine, Prefetcher


class Work:
    """Records how many runs are in flight at once and in which order they started."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.started: list[int] = []
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    async def __call__(self, key: int) -> str:
        with self.lock:
            self.started.append(key)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(self.seconds)
        with self.lock:
            self.in_flight -= 1
        return f"result {key}"


def test_upcoming_items_run_ahead_within_the_concurrency_bound():
    engine = Engine()
    work = Work()
    prefetcher = Prefetcher(engine, work, concurrency=3)
    try:
        upcoming = [(f"item{i}", i) for i in range(1, 10)]
        assert prefetcher.result("item0", 0, upcoming) == "result 0"
        results = [prefetcher.result(f"item{i}", i, []) for i in range(1, 10)]
    finally:
        engine.close()
    assert results == [f"result {i}" for i in range(1, 10)]
    assert work.peak == 3  # never more than the bound, and the bound was used
    assert work.started[0] == 0
    assert sorted(work.started) == list(range(10))  # each item ran exactly once


def test_an_item_handed_out_twice_runs_once():
    engine = Engine()
    work = Work(seconds=0.0)
    prefetcher = Prefetcher(engine, work, concurrency=2)
    try:
        prefetcher.result("a", 1, [("b", 2)])
        prefetcher.result("b", 2, [("b", 2)])
    finally:
        engine.close()
    assert work.started == [1, 2]


def test_a_failing_run_raises_in_its_caller_only():
    async def flaky(key: int) -> int:
        if key == 1:
            raise ValueError("boom")
        return key

    engine = Engine()
    prefetcher = Prefetcher(engine, flaky, concurrency=2)
    try:
        try:
            prefetcher.result("a", 1, [("b", 2)])
        except ValueError as error:
            assert str(error) == "boom"
        else:
            raise AssertionError("the run's error did not reach its caller")
        assert prefetcher.result("b", 2, []) == 2
    finally:
        engine.close()


def test_close_cancels_what_is_still_pending_and_runs_finalizers():
    closed = []

    async def never(key: int) -> int:
        await asyncio.sleep(60)
        return key

    async def finalizer() -> None:
        closed.append(True)

    engine = Engine()
    prefetcher = Prefetcher(engine, never, concurrency=2)
    prefetcher._engine.submit_many([prefetcher._bounded(1)])
    engine.close([finalizer])
    assert closed == [True]
    assert engine.loop.is_closed()


def test_work_after_the_calls_holds_no_slot():
    """`finish` (running a program, say) runs outside the bound: with one slot, the next
    item's calls start while the first item's program is still running."""
    engine = Engine()
    work = Work(seconds=0.0)
    program_running = threading.Event()
    second_started = threading.Event()

    async def finish(result: str) -> str:
        if result == "result 0":
            program_running.set()
            for _ in range(1000):  # until item 1's calls have started (at most 5 s)
                if second_started.is_set():
                    break
                await asyncio.sleep(0.005)
            else:
                return result + " stalled the next item"
        else:
            second_started.set()
        return result + " tested"

    prefetcher = Prefetcher(engine, work, concurrency=1, finish=finish)
    try:
        assert prefetcher.result("a", 0, [("b", 1)]) == "result 0 tested"
        assert prefetcher.result("b", 1, []) == "result 1 tested"
    finally:
        engine.close()
    assert program_running.is_set() and work.started == [0, 1]


def test_the_engine_runs_inside_a_thread_that_already_runs_a_loop():
    """A test body under Playwright's sync API (or any running loop) still gets its outcome,
    and the outer loop is its own again afterwards."""
    engine = Engine()

    async def outer() -> tuple[int, bool]:
        mine = asyncio.get_running_loop()
        value = engine.wait(asyncio.sleep(0, result=42))  # synchronous, inside a callback
        await asyncio.sleep(0)
        return value, asyncio.get_running_loop() is mine

    try:
        assert asyncio.run(outer()) == (42, True)
    finally:
        engine.close()
