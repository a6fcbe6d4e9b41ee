"""One test process's evaluation state: benchmarks, their samples, clients, in-flight calls.

Built once per process (the controller of an xdist run has none: it only aggregates). It turns a
sample into a SampleRun (outcome or error) and a scored SampleRun into a plain-dict record.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

import pytest

from . import benchmarks
from .benchmarks.base import Benchmark, RunContext
from .cache import ResponseCache
from .config import Endpoint, RunConfig
from .data import DataError, content_hash
from .errors import JudgeError, ServiceError
from .prefetch import Engine, Prefetcher
from .records import Outcome, Sample, Usage, Verdict

if TYPE_CHECKING:
    from .client import ModelClient

SAMPLE_ARG = "llm_sample"
_UNSET = object()


class UsageProblem(pytest.Collector.CollectError):
    """Bad input found while collecting (unknown benchmark, unreadable data): one line."""

    prefix = "pytest-llmeval: "

    def __init__(self, message: str) -> None:
        super().__init__(self.prefix + message)


@dataclass(frozen=True)
class SampleKey:
    sample: Sample
    repeat: int


@dataclass
class SampleRun:
    """What a benchmark test receives: its sample, what the services said, and the verdict."""

    sample: Sample
    repeat: int
    benchmark: Benchmark
    outcome: Outcome
    error: str | None = None
    error_kind: str | None = None
    failed_attempts: int = 0  # requests of the call that failed for good (not in outcome)
    _verdict: Verdict | None = field(default=None, repr=False)

    @property
    def verdict(self) -> Verdict:
        """Scored on first use, in the test body (math-verify wants the main thread)."""
        if self._verdict is None:
            if self.error is not None:
                self._verdict = Verdict(
                    False, f"error: {self.error}", dict.fromkeys(self.benchmark.metrics, 0.0)
                )
            else:
                self._verdict = self.benchmark.score(self.sample, self.outcome)
        return self._verdict

    def fail(self, message: str, kind: str) -> None:
        """Record an error found after the calls (a scorer that crashed, say)."""
        self.error, self.error_kind, self._verdict = message, kind, None

    def check(self) -> None:
        """Pass on a right answer; fail with one line (no traceback) on a wrong one."""
        verdict = self.verdict
        if not verdict.passed:
            pytest.fail(verdict.reason or "wrong answer", pytrace=False)


class Runtime:
    """Per-process state, created lazily so that runs without a model pay nothing."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self._benchmarks: dict[str, Benchmark] = {}
        self._samples: dict[str, list[Sample]] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self._engine: Engine | None = None
        self._prefetcher: Prefetcher | None = None
        self._clients: dict[str, ModelClient] = {}
        self._cache: ResponseCache | None = None
        self._order: list[pytest.Item] = []
        self._position: dict[str, int] = {}
        self._frontier = 0
        self._started: set[int] = set()
        self._queue: Any = _UNSET

    # -- benchmarks and samples ------------------------------------------------------------
    def benchmark(self, name: str) -> Benchmark:
        if name not in self._benchmarks:
            try:
                self._benchmarks[name] = benchmarks.get(name)(self.config)
            except KeyError as error:
                raise UsageProblem(error.args[0]) from None
        return self._benchmarks[name]

    def samples(self, name: str) -> list[Sample]:
        """The benchmark's samples after --llm-limit (per subset), loaded once per process."""
        if name not in self._samples:
            benchmark = self.benchmark(name)
            if benchmark.needs_judge and not self.config.judge.model:
                raise UsageProblem(
                    f"{name} is graded by an LLM judge: pass --llm-judge-model "
                    "(and --llm-judge-base-url / --llm-judge-api-key if it is elsewhere)"
                )
            source = self.config.data.get(name)
            started = time.perf_counter()
            try:
                loaded = benchmark.load(source)
            except DataError as error:
                hint = (
                    f" (offline? pass --llm-data {name}=PATH: {benchmark.data_help})"
                    if source is None and benchmark.data_help
                    else ""
                )
                raise UsageProblem(f"{name}: {error}{hint}") from None
            kept = _limit(loaded, self.config.limit)
            gc.freeze()  # loaded once, kept to the end: no need for the GC to walk it again
            self._samples[name] = kept
            self.sources[name] = {
                "source": source or "hub",
                "samples": len(kept),
                "content_hash": content_hash((s.id, s.messages, s.target) for s in kept),
                "load_s": round(time.perf_counter() - started, 3),
            }
        return self._samples[name]

    # -- order of items, for prefetching ------------------------------------------------------
    def set_order(self, items: list[pytest.Item]) -> None:
        self._order = items
        self._position = {item.nodeid: index for index, item in enumerate(items)}

    def upcoming(self, session: pytest.Session, item: pytest.Item) -> list[pytest.Item]:
        """Items this process will run next and has not started yet, at most a window's worth
        (twice the concurrency, so a slow item never leaves slots idle): xdist's queue for a
        worker, else the collection order."""
        window = 2 * self.config.concurrency
        if self._queue is _UNSET:
            self._queue = _xdist_queue(session.config)
        if self._queue is not None:
            interactor, torun = self._queue
            indices = [interactor.nextitem_index]
            with torun.lock() as pending:
                indices += list(islice(pending, window))
            fresh = [i for i in indices if isinstance(i, int) and i not in self._started]
            self._started.update(fresh)
            return [session.items[i] for i in fresh]
        position = self._position.get(item.nodeid)
        if position is None:
            return []
        start, end = max(position + 1, self._frontier), position + 1 + window
        self._frontier = max(self._frontier, end)
        return self._order[start:end]

    # -- services ----------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine()
        return self._engine

    def client(self, role: str) -> ModelClient:
        from .client import ModelClient  # the HTTP stack only when a call is to be made

        if role not in self._clients:
            endpoint: Endpoint = self.config.target if role == "model" else self.config.judge
            if self._cache is None and self.config.cache_path is not None:
                self._cache = ResponseCache(self.config.cache_path)
            self._clients[role] = ModelClient(
                endpoint,
                timeout=self.config.timeout,
                retries=self.config.retries,
                stream=self.config.stream,
                cache=self._cache,
            )
        return self._clients[role]

    @property
    def prefetcher(self) -> Prefetcher:
        if self._prefetcher is None:
            self._prefetcher = Prefetcher(self.engine, self.run_sample, self.config.concurrency)
        return self._prefetcher

    async def run_sample(self, key: SampleKey) -> SampleRun:
        """All calls of one sample; service and judge failures become a recorded error."""
        sample = key.sample
        benchmark = self.benchmark(sample.dataset)
        judge = self.client("judge") if benchmark.needs_judge else None
        tag = f"{sample.dataset}/{sample.id}/r{key.repeat}" if self.config.sample_header else None
        ctx = RunContext(self.client("model"), judge, key.repeat, tag=tag)
        run = SampleRun(sample, key.repeat, benchmark, ctx.outcome)
        try:
            await benchmark.run(sample, ctx)
        except ServiceError as error:
            run.error, run.error_kind = str(error), "service"
            run.failed_attempts = error.attempts
        except JudgeError as error:
            run.error, run.error_kind = str(error), "judge"
        return run

    def sample_run(
        self, nodeid: str, key: SampleKey, upcoming: list[tuple[str, SampleKey]]
    ) -> SampleRun:
        return self.prefetcher.result(nodeid, key, upcoming)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close([client.aclose for client in self._clients.values()])
        if self._cache is not None:
            self._cache.close()


def _xdist_queue(config: pytest.Config) -> tuple[Any, Any] | None:
    """xdist's worker keeps its pending item indices in `torun`; peeking lets us prefetch them."""
    if not hasattr(config, "workerinput"):
        return None
    for plugin in config.pluginmanager.get_plugins():
        torun = getattr(plugin, "torun", None)
        if torun is not None and hasattr(torun, "lock") and hasattr(plugin, "nextitem_index"):
            return plugin, torun
    return None


def _limit(samples: list[Sample], limit: int | None) -> list[Sample]:
    if limit is None:
        return samples
    seen: dict[str, int] = {}
    kept = []
    for sample in samples:
        seen[sample.subset] = seen.get(sample.subset, 0) + 1
        if seen[sample.subset] <= limit:
            kept.append(sample)
    return kept


def build_record(run: SampleRun, nodeid: str) -> dict[str, Any]:
    """One sample (and repeat) as built-in types: the row of samples.jsonl, carried by xdist."""
    sample, outcome = run.sample, run.outcome
    verdict = run.verdict
    scored = run.error is None or run.benchmark.config.ignore_errors
    final = outcome.final
    return {
        "nodeid": nodeid,
        "dataset": sample.dataset,
        "subset": sample.subset,
        "category": run.benchmark.category(sample.subset),
        "sample_id": sample.id,
        "repeat": run.repeat,
        "messages": outcome.messages or sample.messages,
        "response": {
            "text": final.text,
            "reasoning": final.reasoning,
            "tool_calls": [vars(call) for call in final.tool_calls],
            "finish_reason": final.finish_reason,
        },
        "extracted": _plain(verdict.extracted),
        "target": _plain(sample.target),
        "passed": verdict.passed,
        "reason": verdict.reason,
        "metrics": verdict.metrics,
        "tags": verdict.tags,
        "scored": scored,
        "error": run.error,
        "error_kind": run.error_kind,
        "usage": vars(_total(r.usage for r in outcome.responses)),
        "judge_usage": vars(_total(r.usage for r in outcome.judge_responses)),
        "latency_s": round(
            sum(r.latency_s for r in outcome.responses + outcome.judge_responses), 4
        ),
        "attempts": sum(r.attempts for r in outcome.responses + outcome.judge_responses)
        + run.failed_attempts,
        "cached": bool(outcome.responses)
        and all(r.cached for r in outcome.responses + outcome.judge_responses),
        "labels": _plain(sample.meta.get("labels", {})),
        "extra": _plain(outcome.extra),
    }


def _total(usages: Any) -> Usage:
    total = Usage()
    for usage in usages:
        total.add(usage)
    return total


def _plain(value: Any) -> Any:
    """Built-in types only (tuples become lists), so xdist and JSON carry it unchanged."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
