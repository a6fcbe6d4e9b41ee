"""pass@k in one place: the estimator's figures over records, and every benchmark that reports
them takes them from there."""

from __future__ import annotations

import pytest

from pytest_llmeval.benchmarks.aime24 import Aime24
from pytest_llmeval.benchmarks.aime25 import Aime25
from pytest_llmeval.benchmarks.common import PassAtK
from pytest_llmeval.benchmarks.general import GeneralMCQ, GeneralQA
from pytest_llmeval.benchmarks.hmmt25 import Hmmt25
from pytest_llmeval.benchmarks.math_500 import Math500
from pytest_llmeval.records import SampleRecord
from pytest_llmeval.scoring.passk import pass_at_k_metrics, pass_at_k_names

BENCHMARKS = [Aime25, Aime24, Hmmt25, Math500, GeneralQA, GeneralMCQ]


def records(results: dict[str, list[int]], metric: str) -> list[SampleRecord]:
    return [
        SampleRecord("d", "s", sample, repeat, passed=bool(p), metrics={metric: float(p)})
        for sample, passes in results.items()
        for repeat, p in enumerate(passes)
    ]


def test_figures_over_records():
    group = records({"a": [1, 0, 0, 1], "b": [1, 1, 1, 1], "c": [0, 0, 0, 0]}, "m")
    # pass@1 = mean of c/n; pass@4 = share of samples right at least once
    assert pass_at_k_metrics(group) == pytest.approx({"pass@1": 6 / 12, "pass@4": 2 / 3})
    assert pass_at_k_metrics(group[:4]) == pytest.approx({"pass@1": 0.5, "pass@4": 1.0})
    assert pass_at_k_metrics(records({"a": [1], "b": [0]}, "m")) == {}
    assert pass_at_k_metrics([]) == {}
    # the fewest repeats decide k when a selection left some out
    assert set(pass_at_k_metrics(records({"a": [1, 0, 1], "b": [0, 1]}, "m"))) == {
        "pass@1",
        "pass@2",
    }
    assert pass_at_k_names(1) == () and pass_at_k_names(5) == ("pass@1", "pass@5")


@pytest.mark.parametrize("benchmark", BENCHMARKS, ids=lambda b: b.name)
def test_each_benchmark_reports_its_mean_and_pass_at_k_from_the_one_place(benchmark):
    assert issubclass(benchmark, PassAtK)
    (metric,) = benchmark.metrics
    group = records({"a": [1, 0, 0], "b": [1, 1, 1], "c": [0, 0, 0]}, metric)
    assert benchmark(repeats=3).derived == ("pass@1", "pass@3")
    assert benchmark(repeats=3).aggregate(group) == pytest.approx(
        {metric: 4 / 9, "pass@1": 4 / 9, "pass@3": 2 / 3}
    )
    assert benchmark().derived == ()
    assert benchmark().aggregate(group[:1]) == {metric: 1.0}
