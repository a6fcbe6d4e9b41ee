"""A minimal benchmark for measuring the harness itself: the model is asked to echo `ok`.

Also marks the start and end of the test loop (LLMEVAL_BENCH_MARKER) so the scripts can tell
the run phase from interpreter start-up and collection.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from pytest_llmeval.benchmarks import Benchmark, register
from pytest_llmeval.records import Outcome, Sample, Verdict


@register
class Echo(Benchmark):
    name = "echo"

    def load(self, source: str | None) -> list[Sample]:
        """`source` is the sample count; ECHO_WRONG_EVERY=k makes every k-th answer wrong."""
        count = int(source or "2000")
        wrong_every = int(os.environ.get("ECHO_WRONG_EVERY", "0"))
        return [
            Sample(
                str(i),
                self.name,
                "default",
                [{"role": "user", "content": f"ok? ({i})"}],
                "not ok" if wrong_every and i % wrong_every == 0 else "ok",
            )
            for i in range(count)
        ]

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        passed = outcome.final.text == sample.target
        return Verdict(passed, "ok" if passed else "not ok", {"AverageAccuracy": float(passed)})


_times: dict[str, Any] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    _times["start"] = time.time()
    try:
        return (yield)
    finally:
        _times["end"] = time.time()
        marker = os.environ.get("LLMEVAL_BENCH_MARKER")
        if marker and not hasattr(session.config, "workerinput"):
            with open(marker, "w") as handle:
                json.dump(_times, handle)
