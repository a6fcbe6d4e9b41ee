"""One test process's evaluation state: benchmarks, their samples, clients, in-flight calls.

Built once per process that runs tests (the controller of an xdist run has none: it only
aggregates). It turns a sample into a SampleRun (outcome or error), and a scored SampleRun into
its SampleRecord. It knows nothing of pytest: the plugin asks, the runtime answers.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .benchmarks import REGISTRY, Benchmark, RegistryError
from .cache import ResponseCache
from .config import Endpoint, RunConfig
from .data import DataError, content_hash
from .errors import HarnessError, JudgeError, ServiceError
from .gc_pause import without_gc
from .prefetch import Engine, Prefetcher
from .progress import Progress
from .records import Outcome, Sample, SampleRecord, Usage, Verdict, plain, verdict_name
from .redact import Redactor

if TYPE_CHECKING:
    from .client import ModelClient
    from .endpoints import Router


class InputProblem(Exception):
    """Bad input found while loading (unknown benchmark, unreadable data): one line."""


class WrongAnswer(AssertionError):
    """Raised by `SampleRun.check`; the plugin shows it as one line, without a traceback."""


@dataclass(frozen=True)
class SampleKey:
    """One item's work: a sample and which repeat of it."""

    sample: Sample
    repeat: int

    @property
    def tag(self) -> str:
        return f"{self.sample.dataset}/{self.sample.id}/r{self.repeat}"


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
    _crash: Exception | None = field(default=None, repr=False)

    @property
    def verdict(self) -> Verdict:
        """Scored on first use (or ahead, by `score_ahead`); a scorer that crashes raises here,
        in the test body, so it fails its test."""
        if self._verdict is None:
            if self.error is not None:
                self._verdict = Verdict(
                    False, f"error: {self.error}", self.benchmark.unscored_metrics(self.sample)
                )
            elif self._crash is not None:
                raise self._crash
            else:
                self._verdict = self.benchmark.verdict(self.sample, self.outcome)
        return self._verdict

    def score_ahead(self) -> None:
        """Score now, off the test body; a crash is kept for the test body to raise."""
        try:
            self.verdict  # noqa: B018 - computed for its side effect
        except Exception as error:
            self._crash = error

    def fail(self, message: str, kind: str) -> None:
        """Record an error found after the calls (a scorer that crashed, say)."""
        self.error, self.error_kind, self._verdict = message, kind, None

    def check(self) -> None:
        """Pass on a right answer; fail with one line (no traceback) on a wrong one."""
        verdict = self.verdict
        if not verdict.passed:
            raise WrongAnswer(verdict.reason or "wrong answer")


class Benchmarks:
    """The benchmark instances of one session, built once and shared by the runtime and the
    controller of a process."""

    def __init__(self, config: RunConfig) -> None:
        self._config = config
        self._instances: dict[str, Benchmark] = {}

    def get(self, name: str) -> Benchmark:
        """The benchmark; RegistryError (one line) when there is none of that name."""
        if name not in self._instances:
            cls = REGISTRY.get(name)
            self._instances[name] = cls(self._config.benchmark_options, self._config.repeats)
        return self._instances[name]

    def figures(self, name: str) -> tuple[list[str], list[str]]:
        try:
            return self.get(name).figures()
        except RegistryError as error:
            raise KeyError(str(error)) from None


class Runtime:
    """Per-process state, created lazily so that runs without a model pay nothing."""

    def __init__(self, config: RunConfig, benchmarks: Benchmarks) -> None:
        self.config = config
        self.benchmarks = benchmarks
        self._samples: dict[str, list[Sample]] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self._engine: Engine | None = None
        self._prefetcher: Prefetcher | None = None
        self._routers: dict[str, Router] = {}
        self._cache: ResponseCache | None = None
        self._scorers: ThreadPoolExecutor | None = None
        self.redactor = Redactor([config.endpoint.api_key, config.judge.api_key])
        self.progress = Progress()
        self._streak: tuple[str | None, int] = (None, 0)
        self.stop_reason: str | None = None
        """Set when the service is plainly broken: the same error, sample after sample."""

    def benchmark(self, name: str) -> Benchmark:
        try:
            return self.benchmarks.get(name)
        except RegistryError as error:
            raise InputProblem(str(error)) from None

    def samples(self, name: str) -> list[Sample]:
        """The benchmark's samples after --llm-limit (per subset), loaded once per process."""
        if name not in self._samples:
            benchmark = self.benchmark(name)
            if benchmark.needs_judge and not self.config.judge.model:
                raise InputProblem(
                    f"{name} is graded by an LLM judge: pass --llm-judge-model "
                    "(and --llm-judge-base-url / --llm-judge-api-key if it is elsewhere)"
                )
            source = self.config.data.get(name)
            started = time.perf_counter()
            try:
                benchmark.prepare()
            except DataError as error:
                raise InputProblem(f"{name}: {error}") from None
            try:
                with without_gc():
                    loaded = benchmark.load(source)
            except DataError as error:
                hint = (
                    f" (offline? pass --llm-data {name}=PATH: {benchmark.data_help})"
                    if source is None and benchmark.data_help
                    else ""
                )
                raise InputProblem(f"{name}: {error}{hint}") from None
            if not loaded:
                raise InputProblem(f"{name}: no samples in {source or 'the hub copy'}")
            kept = _limit(loaded, self.config.limit)
            gc.freeze()  # loaded once, kept to the end: no need for the GC to walk it again
            self._samples[name] = kept
            self.sources[name] = {
                "source": benchmark.source_label(source),
                "samples": len(kept),
                "content_hash": content_hash((s.id, s.messages, s.target) for s in kept),
                "load_s": round(time.perf_counter() - started, 3),
                **benchmark.load_notes(),
            }
        return self._samples[name]

    def select(self, keys: list[SampleKey]) -> None:
        """The items this process will run, counted per subset (a partial run says what is
        missing)."""
        self.progress.total += len(keys)
        for key in keys:
            selected = self.sources[key.sample.dataset].setdefault("selected", {})
            selected[key.sample.subset] = selected.get(key.sample.subset, 0) + 1

    # -- services ----------------------------------------------------------------------------
    def client(self, role: str) -> ModelClient:
        from .endpoints import router_for  # the HTTP stack only when a call is to be made

        if role not in self._routers:
            endpoint: Endpoint = self.config.endpoint if role == "model" else self.config.judge
            if self._cache is None and self.config.cache_path is not None:
                self._cache = ResponseCache(self.config.cache_path)
            self._routers[role] = router = router_for(
                endpoint,
                timeout=self.config.timeout,
                retries=self.config.retries,
                stream=self.config.stream,
                cache=self._cache,
                ceiling=self.config.concurrency,
                rate=self.config.rate,
            )
            if role == "model":
                self.progress.limit = router.limit
        return self._routers[role].client

    def endpoint_stats(self) -> dict[str, list[dict[str, Any]]]:
        """Per role, each base URL's calls, errors, throttles and latencies in this process."""
        return {role: router.stats() for role, router in self._routers.items()}

    @property
    def prefetcher(self) -> Prefetcher[SampleRun]:
        """Where a test gets its sample's run, the next items' calls already in flight."""
        if self._prefetcher is None:
            self._engine = Engine()
            self._prefetcher = Prefetcher(
                self._engine, self.run_sample, self.config.concurrency, self.finish_sample
            )
        return self._prefetcher

    async def run_sample(self, key: SampleKey) -> SampleRun:
        """All calls of one sample; service and judge failures become a recorded error."""
        sample = key.sample
        benchmark = self.benchmark(sample.dataset)
        judge = self.client("judge") if benchmark.needs_judge else None
        tag = key.tag if self.config.sample_header else None
        from .benchmarks.base import RunContext

        ctx = RunContext(self.client("model"), judge, key.repeat, tag=tag)
        run = SampleRun(sample, key.repeat, benchmark, ctx.outcome)
        if self.stop_reason is not None:
            run.error, run.error_kind = "not run: the run was stopped", "stopped"
            return run
        self.progress.in_flight += 1
        try:
            await benchmark.generate(sample, ctx)
        except ServiceError as error:
            run.error, run.error_kind = self.redactor.text(str(error)), "service"
            run.failed_attempts = error.attempts
        except JudgeError as error:
            run.error, run.error_kind = self.redactor.text(str(error)), "judge"
        finally:
            self.progress.in_flight -= 1
            self.progress.done += 1
            self.progress.completion_tokens += sum(
                r.usage.completion_tokens for r in ctx.outcome.responses
            )
        self._count_streak(run.error)
        return run

    def _count_streak(self, error: str | None) -> None:
        same, count = self._streak
        count = count + 1 if error is not None and error == same else int(error is not None)
        self._streak = (error, count)
        limit = self.config.max_consecutive_errors
        if limit and count >= limit and self.stop_reason is None:
            self.stop_reason = f"{count} samples in a row failed with: {error}"

    async def finish_sample(self, run: SampleRun) -> SampleRun:
        """The benchmark's work after the calls (running programs), outside the bound on
        samples in their calls; a harness tool that fails is the sample's error. A sample
        whose check is slow (`Benchmark.score_ahead`) is scored here, on a scoring thread, so
        its check runs beside the calls and the others, and the test body finds it ready."""
        if run.error is None:
            try:
                await run.benchmark.evaluate(run.sample, run.outcome)
            except HarnessError as error:
                run.error, run.error_kind = self.redactor.text(str(error)), error.kind
        if run.error is None and run.benchmark.score_ahead(run.sample, run.outcome):
            if self._scorers is None:
                threads = max(2, os.cpu_count() or 1)
                self._scorers = ThreadPoolExecutor(threads, thread_name_prefix="llmeval-score")
            await asyncio.get_running_loop().run_in_executor(self._scorers, run.score_ahead)
        return run

    def record(self, run: SampleRun, nodeid: str) -> dict[str, Any]:
        """The run as its record, as plain data with the keys redacted; a scorer that crashes
        is that sample's error, not the run's."""
        try:
            record = build_record(run, nodeid, self.config.ignore_errors)
        except Exception as error:
            run.fail(f"scorer crashed: {error!r}", "scorer")
            record = build_record(run, nodeid, self.config.ignore_errors)
        return self.redactor.deep(record.to_dict())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close([router.aclose for router in self._routers.values()])
        if self._scorers is not None:
            self._scorers.shutdown(cancel_futures=True)
        if self._cache is not None:
            self._cache.close()


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


def build_record(run: SampleRun, nodeid: str, ignore_errors: bool) -> SampleRecord:
    """The one place a record is made from a scored run."""
    sample, outcome = run.sample, run.outcome
    verdict = run.verdict
    responses = outcome.responses + outcome.judge_responses
    return SampleRecord(
        dataset=sample.dataset,
        subset=sample.subset,
        sample_id=sample.id,
        repeat=run.repeat,
        nodeid=nodeid,
        category=sample.category,
        cluster=run.benchmark.cluster(sample),
        verdict=verdict_name(verdict.passed, run.error, verdict.tags),
        passed=verdict.passed,
        reason=verdict.reason,
        metrics=verdict.metrics,
        tags=verdict.tags,
        scored=run.error is None or ignore_errors,
        error=run.error,
        error_kind=run.error_kind,
        usage=Usage.total(r.usage for r in outcome.responses),
        judge_usage=Usage.total(r.usage for r in outcome.judge_responses),
        latency_s=round(sum(r.latency_s for r in responses), 4),
        attempts=sum(r.attempts for r in responses) + run.failed_attempts,
        cached=bool(outcome.responses) and all(r.cached for r in responses),
        messages=_sent(outcome.messages or sample.messages),
        response=outcome.final.reply(),
        responses=[r.reply() for r in outcome.responses] if len(outcome.responses) > 1 else [],
        extracted=plain(verdict.extracted),
        target=plain(sample.target),
        labels=plain(sample.meta.get("labels", {})),
        extra=plain(outcome.extra),
    )


def _sent(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation without its final assistant message, which `response` holds: a long
    reply is stored once."""
    if messages and messages[-1].get("role") == "assistant":
        return messages[:-1]
    return messages
