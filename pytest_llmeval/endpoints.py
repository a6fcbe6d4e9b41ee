"""One model behind several base URLs: which endpoint takes each attempt, and how many at once.

A layer above the one-URL ModelClient: each attempt of a call asks its `Route` for a lane
(``async with route.lane() as client``) and sends through that lane's client. A lane is one
base URL with its own limit on calls in flight. The limit starts at ``--llm-concurrency`` and
adapts as TCP's congestion window does (AIMD): a 429 or 503 halves it (from the calls actually
in flight, at most once per window, floor 1; never above the calls the server still holds) and
holds the lane for the server's ``Retry-After``; each window of successes while the limit
binds adds one. Attempts go to the lane with the fewest calls in flight that has room, those
that wait first come, first served; a retry prefers a lane the call has not tried. A lane that
fails several calls in a row (5xx, timeouts, dropped connections) rests for a cool-down, then
is probed (GET /models) before it gets traffic again; when every lane rests, attempts go to
them anyway, so one URL behaves as it always did. ``--llm-rate`` is a leaky bucket
(aiolimiter) in front of all lanes. Each lane counts its calls, errors, throttles and
latencies for the run summary. (No package does this routing; aiolimiter does the rate.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter

from .cache import ResponseCache
from .client import RETRYABLE_STATUS, ModelClient, _retry_after
from .config import Endpoint

FAILURES_TO_REST = 3
"""Failed calls in a row that take a lane out for a cool-down."""
COOL_DOWN_S = 5.0
MAX_COOL_DOWN_S = 60.0
THROTTLING = {429, 503}


@dataclass(eq=False)
class Lane:
    """One base URL of the model: its client, its adaptive limit, its health, its figures."""

    url: str
    client: ModelClient
    limit: int
    in_flight: int = 0
    grown: int = 0
    """Successes since the limit last changed: a window of `limit` of them adds one."""
    epoch: int = 0
    """Bumped when the limit is cut; a throttle of a call sent before that does not cut again."""
    failures: int = 0
    """Failed calls in a row."""
    resting_until: float | None = None
    """Out of traffic (monotonic time it may be probed again); None: in service."""
    cool_down: float = COOL_DOWN_S
    paused_until: float = 0.0
    """No new call before this monotonic time (the server's Retry-After)."""
    probing: bool = False
    calls: int = 0
    errors: int = 0
    throttled: int = 0
    rests: int = 0
    latencies: list[float] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        """Plain data for the controller (xdist: through workeroutput), merged per URL there."""
        return {
            "url": self.url,
            "calls": self.calls,
            "errors": self.errors,
            "throttled": self.throttled,
            "rests": self.rests,
            "concurrency": self.limit,
            "latencies": self.latencies,
        }


class Router:
    """The lanes of one model under one ceiling and one rate cap, shared by all its calls."""

    def __init__(self, lanes: list[Lane], ceiling: int, rate: float | None = None) -> None:
        self.lanes = lanes
        self.ceiling = ceiling
        self.client = lanes[0].client
        """The client callers use: it holds the cache and this router; it is lane 0's too."""
        self._rate = None if not rate else AsyncLimiter(*_bucket(rate))
        self._waiting: deque[tuple[set[Lane], asyncio.Future[Lane]]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._probes: set[asyncio.Task[None]] = set()

    def route(self) -> Route:
        return Route(self)

    def limit(self) -> int | None:
        """Calls allowed in flight now over the lanes in service, when throttles have cut it
        below the ceiling (the progress line shows it then); None at the ceiling."""
        serving = [lane for lane in self.lanes if lane.resting_until is None] or self.lanes
        allowed = sum(lane.limit for lane in serving)
        return allowed if allowed < self.ceiling else None

    def stats(self) -> list[dict[str, Any]]:
        return [lane.stats() for lane in self.lanes]

    async def aclose(self) -> None:
        for lane in self.lanes:
            await lane.client.aclose()

    @contextlib.asynccontextmanager
    async def lane(self, tried: set[Lane]) -> AsyncIterator[ModelClient]:
        """One attempt: wait for the rate and for a lane with room, then count what happened."""
        if self._rate is not None:
            await self._rate.acquire()
        lane = await self._take(tried)
        lane.calls += 1
        epoch = lane.epoch
        started = time.perf_counter()
        try:
            yield lane.client
        except Exception as error:
            tried.add(lane)
            self._failed(lane, error, epoch)
            raise
        else:
            self._answered(lane, time.perf_counter() - started, epoch)
        finally:
            lane.in_flight -= 1
            self._dispatch()

    async def _take(self, tried: set[Lane]) -> Lane:
        """A lane with room, its slot taken; attempts that wait are served first come, first
        served (a sample the tests wait for must not starve behind newer ones)."""
        if not self._waiting:
            lane, _ = self._choose(tried, time.monotonic())
            if lane is not None:
                lane.in_flight += 1
                return lane
        waiter = (tried, asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        self._dispatch()
        try:
            return await waiter[1]
        except asyncio.CancelledError:
            if waiter[1].done() and not waiter[1].cancelled():  # given a slot, gone anyway
                waiter[1].result().in_flight -= 1
                self._dispatch()
            raise

    def _dispatch(self) -> None:
        """Give free slots to the waiting attempts in order; when none can go, look again at
        the next release or when a pause or a rest ends."""
        now = time.monotonic()
        while self._waiting:
            tried, future = self._waiting[0]
            if future.done():  # cancelled while waiting
                self._waiting.popleft()
                continue
            lane, wake_at = self._choose(tried, now)
            if lane is None:
                if wake_at is not None:
                    self._look_again_in(wake_at - now)
                return
            self._waiting.popleft()
            lane.in_flight += 1
            future.set_result(lane)

    def _look_again_in(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        when = loop.time() + max(delay, 0.001)
        if self._timer is not None:
            if self._timer.when() <= when:
                return
            self._timer.cancel()
        self._timer = loop.call_at(when, self._look_again)

    def _look_again(self) -> None:
        self._timer = None
        self._dispatch()

    def _choose(self, tried: set[Lane], now: float) -> tuple[Lane | None, float | None]:
        """The lane with the fewest calls in flight that has room, among those in service
        (all, when none is) that this call has not tried (any, when it tried them all); else
        None and when to look again besides the next release."""
        self._probe_rested(now)
        serving = [lane for lane in self.lanes if lane.resting_until is None] or self.lanes
        fresh = [lane for lane in serving if lane not in tried] or serving
        open_ = [lane for lane in fresh if lane.paused_until <= now and lane.in_flight < lane.limit]
        if open_:
            return min(open_, key=lambda lane: (lane.in_flight, lane.calls)), None
        times = [lane.paused_until for lane in fresh if lane.paused_until > now]
        times += [lane.resting_until for lane in self.lanes if lane.resting_until is not None]
        return None, min(times, default=None)

    def _answered(self, lane: Lane, latency: float, epoch: int) -> None:
        lane.latencies.append(round(latency, 4))
        lane.failures, lane.cool_down, lane.resting_until = 0, COOL_DOWN_S, None
        if epoch == lane.epoch and lane.in_flight >= lane.limit:  # where the limit binds
            lane.grown += 1
            if lane.grown >= lane.limit:
                lane.limit, lane.grown = min(self.ceiling, lane.limit + 1), 0

    def _failed(self, lane: Lane, error: Exception, epoch: int) -> None:
        status = getattr(error, "status_code", None)
        if status is not None and status < 500 and status not in RETRYABLE_STATUS:
            lane.failures = 0  # a 4xx of the request's own making: the endpoint answered
            return
        lane.errors += 1
        if status in THROTTLING:
            lane.throttled += 1
            self._throttle(lane, epoch, _retry_after(error))
            if status == 429:
                return  # busy, not broken
        lane.failures += 1
        if lane.failures >= FAILURES_TO_REST and lane.resting_until is None:
            lane.resting_until = time.monotonic() + lane.cool_down
            lane.rests += 1

    def _throttle(self, lane: Lane, epoch: int, retry_after: float | None) -> None:
        """Halve the calls in flight, once per window: a call sent before the last cut does
        not cut again, but the limit never stays above the calls the server still holds (a
        wave of 429s from a start at the ceiling brings it down to what was accepted at once).
        New calls wait for Retry-After."""
        if retry_after:
            lane.paused_until = max(lane.paused_until, time.monotonic() + retry_after)
        if epoch == lane.epoch:
            lane.limit = max(1, min(lane.limit, lane.in_flight) // 2)
            lane.epoch, lane.grown = lane.epoch + 1, 0
        else:
            lane.limit = max(1, min(lane.limit, lane.in_flight - 1))

    def _probe_rested(self, now: float) -> None:
        for lane in self.lanes:
            due = lane.resting_until is not None and lane.resting_until <= now
            if due and not lane.probing:
                lane.probing = True
                task = asyncio.get_running_loop().create_task(self._probe(lane))
                self._probes.add(task)
                task.add_done_callback(self._probes.discard)

    async def _probe(self, lane: Lane) -> None:
        """Back in service (one failure from resting again) if it answers; else rest longer."""
        from .services import check

        try:
            ok = await asyncio.to_thread(check, lane.client.endpoint, "model") is None
        except Exception:  # a rejected key, say: not in service
            ok = False
        if ok:
            lane.resting_until, lane.failures = None, FAILURES_TO_REST - 1
        else:
            lane.cool_down = min(2 * lane.cool_down, MAX_COOL_DOWN_S)
            lane.resting_until = time.monotonic() + lane.cool_down
        lane.probing = False
        self._dispatch()


class Route:
    """The attempts of one call: a retry goes to a lane this call has not tried, if any."""

    def __init__(self, router: Router) -> None:
        self._router = router
        self._tried: set[Lane] = set()

    def lane(self) -> contextlib.AbstractAsyncContextManager[ModelClient]:
        return self._router.lane(self._tried)


def _bucket(rate: float) -> tuple[float, float]:
    """aiolimiter's (max_rate, time_period) for `rate` per second: bursts of a tenth of a
    second's worth (a full second's would open with a wall of 429s), at least one request."""
    return (rate / 10, 0.1) if rate >= 10 else (1.0, 1.0 / rate)


def router_for(
    endpoint: Endpoint,
    *,
    timeout: float,
    retries: int,
    stream: bool,
    cache: ResponseCache | None,
    ceiling: int,
    rate: float | None = None,
) -> Router:
    """One client per base URL of `endpoint`; the first holds the cache and the retries and
    asks the router for the lane of each attempt."""
    urls = endpoint.base_urls or (None,)
    lanes = [
        Lane(
            url or "https://api.openai.com/v1",
            ModelClient(
                endpoint.at(url) if url else endpoint,
                timeout=timeout,
                retries=retries,
                stream=stream,
                cache=cache if index == 0 else None,
            ),
            ceiling,
        )
        for index, url in enumerate(urls)
    ]
    router = Router(lanes, ceiling, rate)
    router.client.router = router
    return router
