"""The runtime on its own (no pytest run): samples, calls against a scripted server, records."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from pytest_llmeval.benchmarks import REGISTRY, Benchmark
from pytest_llmeval.config import Endpoint, RunConfig
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
