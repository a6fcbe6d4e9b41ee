"""The runtime on its own (no pytest run): samples, calls against a scripted server, records."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from pytest_llmeval.benchmarks import REGISTRY, Benchmark
from pytest_llmeval.config import Endpoint, RunConfig
from pytest_llmeval.data import DataError
from pytest_llmeval.records import Outcome, Sample, SampleRecord, Verdict
from pytest_llmeval.runner import Benchmarks, InputProblem, Runtime, SampleKey
from tests.conftest import last_user_text
from tests.scripted_server import Reply


class Echo(Benchmark):
    name = "runtime_echo"
    subsets: ClassVar[tuple[str, ...]] = ("a", "b")

    def load(self, source: Any) -> list[Sample]:
        return [
            Sample(f"{s}{i}", self.name, s, [{"role": "user", "content": f"{s}{i}"}], f"{s}{i}")
            for s in self.subsets
            for i in range(3)
        ]

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        if outcome.final.text == "crash":
            raise ZeroDivisionError("scorer bug")
        ok = outcome.final.text == sample.target
        return Verdict(ok, "ok" if ok else "wrong", {"AverageAccuracy": float(ok)})


@pytest.fixture(autouse=True)
def _echo_registered(monkeypatch):
    monkeypatch.setitem(REGISTRY._classes, Echo.name, Echo)  # for this module only


def runtime(base_url: str, **kwargs: Any) -> Runtime:
    config = RunConfig(Endpoint("m", base_url), Endpoint(None, None), cache_path=None, **kwargs)
    return Runtime(config, Benchmarks(config))


def test_samples_are_limited_per_subset_and_their_source_recorded(serve):
    rt = runtime("http://127.0.0.1:9/v1", limit=2)
    assert [s.id for s in rt.samples("runtime_echo")] == ["a0", "a1", "b0", "b1"]
    assert rt.sources["runtime_echo"]["samples"] == 4


class Watched(Echo):
    """Tells whether the garbage collector was on while it loaded, and can fail to load."""

    name = "runtime_watched"
    seen: ClassVar[list[bool]] = []
    fail = False

    def load(self, source: Any) -> list[Sample]:
        self.seen.append(gc.isenabled())
        if self.fail:
            raise DataError("no such file")
        return super().load(source)


@pytest.mark.parametrize("fail", [False, True])
@pytest.mark.parametrize("enabled", [True, False])
def test_a_load_runs_without_the_garbage_collector_which_is_left_as_it_was(
    monkeypatch, enabled, fail
):
    monkeypatch.setitem(REGISTRY._classes, Watched.name, Watched)
    monkeypatch.setattr(Watched, "seen", [])
    monkeypatch.setattr(Watched, "fail", fail)
    rt = runtime("http://127.0.0.1:9/v1")
    (gc.enable if enabled else gc.disable)()
    try:
        if fail:
            with pytest.raises(InputProblem, match="no such file"):
                rt.samples(Watched.name)
        else:
            assert len(rt.samples(Watched.name)) == 6
        assert (Watched.seen, gc.isenabled()) == ([False], enabled)
    finally:
        gc.enable()


def test_an_unknown_benchmark_is_an_input_problem():
    rt = runtime("http://127.0.0.1:9/v1")
    try:
        rt.samples("nope")
    except InputProblem as problem:
        assert "unknown benchmark 'nope'" in str(problem)
    else:
        raise AssertionError("no InputProblem")


def test_runs_become_records_with_verdicts_errors_and_scorer_crashes(serve):
    def handler(request: dict) -> Reply:
        text = last_user_text(request)
        if text == "a1":
            return Reply(status=400, error="bad request")
        return Reply(text="crash" if text == "a2" else text)

    server = serve(handler)
    rt = runtime(server.base_url, retries=0)
    try:
        samples = rt.samples("runtime_echo")[:3]
        runs = [rt.prefetcher.result(s.id, SampleKey(s, 0), []) for s in samples]
        records = [SampleRecord.from_dict(rt.record(run, f"node{i}")) for i, run in enumerate(runs)]
    finally:
        rt.close()
    ok, failed_call, crashed = records
    assert (ok.verdict, ok.passed, ok.usage.calls, ok.response["text"]) == ("passed", True, 1, "a0")
    assert (failed_call.verdict, failed_call.error_kind, failed_call.scored) == (
        "error",
        "service",
        False,
    )
    assert failed_call.error.startswith("HTTP 400")
    assert (crashed.verdict, crashed.error_kind) == ("error", "scorer")
    assert crashed.error == "scorer crashed: ZeroDivisionError('scorer bug')"


class Ahead(Echo):
    """Scored ahead: its scorer tells on which thread it ran and what it saw meanwhile."""

    name = "runtime_ahead"
    server: Any = None
    partners: ClassVar[dict[str, threading.Event]] = {}

    def score_ahead(self, sample: Sample, outcome: Outcome) -> bool:
        return True

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        if outcome.final.text == "crash":
            raise ZeroDivisionError("scorer bug")
        seen = ""
        if sample.id == "a0":  # slow: until the server has had every other sample's call
            _wait_for(lambda: len(self.server.requests) == 6)
            seen = f", {len(self.server.requests)} calls seen"
        elif sample.id in ("b0", "b1"):  # each waits until the other is being scored too
            self.partners[sample.id].set()
            other = self.partners["b1" if sample.id == "b0" else "b0"]
            seen = ", together" if other.wait(20) else ", alone"
        reason = f"{threading.current_thread().name.split('_')[0]}{seen}"
        return Verdict(True, reason, {"AverageAccuracy": 1.0})


def _wait_for(condition: Callable[[], bool], guard_s: float = 20.0) -> None:
    """Until `condition` holds; the guard only keeps a broken run from hanging the test."""
    deadline = time.monotonic() + guard_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_benchmark_that_scores_ahead_is_scored_beside_the_calls_not_in_the_test(
    serve, monkeypatch
):
    monkeypatch.setitem(REGISTRY._classes, Ahead.name, Ahead)
    monkeypatch.setattr(Ahead, "partners", {"b0": threading.Event(), "b1": threading.Event()})
    server = serve(lambda request: Reply(text="crash" if last_user_text(request) == "a2" else "x"))
    monkeypatch.setattr(Ahead, "server", server)
    rt = runtime(server.base_url, concurrency=2)
    try:
        keys = [(s.id, SampleKey(s, 0)) for s in rt.samples("runtime_ahead")]
        runs = {i: rt.prefetcher.result(i, key, keys[1:]) if i == "a0" else None for i, key in keys}
        for i, key in keys[1:]:
            runs[i] = rt.prefetcher.result(i, key, [])
        verdicts = {i: runs[i]._verdict for i in runs}  # ready before the test body asks
        with pytest.raises(ZeroDivisionError, match="scorer bug"):
            runs["a2"].check()  # a scorer that crashed ahead fails its test body
        records = {i: SampleRecord.from_dict(rt.record(run, i)) for i, run in runs.items()}
    finally:
        rt.close()
    # the slow scorer of a0 held no slot: all six calls were made while it was scoring
    assert verdicts["a0"].reason == "llmeval-score, 6 calls seen"
    assert (verdicts["b0"].reason, verdicts["b1"].reason) == (
        "llmeval-score, together",
        "llmeval-score, together",
    )
    assert verdicts["a1"].reason == "llmeval-score"
    assert verdicts["a2"] is None
    assert (records["a2"].error_kind, records["a2"].error) == (
        "scorer",
        "scorer crashed: ZeroDivisionError('scorer bug')",
    )
    assert [r.verdict for i, r in records.items() if i != "a2"] == ["passed"] * 5
