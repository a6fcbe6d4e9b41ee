"""Whole runs: no model, selection, resume after kill -9, xdist parity, no key in any output."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_llmeval.cache import ResponseCache
from tests.conftest import (
    AIME_DATA,
    AIME_MODULE,
    BENCH_MODULE,
    aime_handler,
    aime_oracle,
    aime_problem,
    last_user_text,
)
from tests.scripted_server import Reply


def test_without_a_model_benchmark_items_skip_and_other_tests_run(llmeval, pytester, monkeypatch):
    monkeypatch.delenv("LLM_MODEL", raising=False)
    pytester.makepyfile(test_plain="def test_plain():\n    assert 1 + 1 == 2\n")
    run = llmeval(None, "-rs")
    assert run.ret == 0
    run.result.assert_outcomes(passed=1, skipped=1)
    run.result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] {BENCH_MODULE}.py:*: no --llm-model given"])
    assert not run.output.exists()  # no report either
    assert "pytest-llmeval" not in run.text


@pytest.mark.parametrize(
    ("selection", "subset"),
    [
        (["-k", "AIME2025-II"], "AIME2025-II"),
        (["-k", "AIME2025-I and not AIME2025-II"], "AIME2025-I"),
        (["-m", "AIME2025_I"], "AIME2025-I"),
        (["-m", "AIME2025_II"], "AIME2025-II"),
        (["-m", "llm(subset='AIME2025-I')"], "AIME2025-I"),
        (["-m", "llm(dataset='aime25') and not AIME2025_I"], "AIME2025-II"),
    ],
)
def test_selection_by_subset(serve, llmeval, selection, subset):
    server = serve(aime_oracle)
    run = llmeval(server.base_url, *selection)
    assert run.ret == 0
    run.result.assert_outcomes(passed=15, deselected=15)
    assert sorted(aime_problem(request)[:2] for request in server.requests) == [
        (subset, i) for i in range(15)
    ]  # deselected items are not prefetched either
    assert [(row[1], row[2]) for row in run.rows()] == [(subset, 15), ("OVERALL", 15)]


def test_repeats_are_items_of_their_own(serve, llmeval):
    server = serve(aime_oracle)
    run = llmeval(server.base_url, "--llm-repeats=2", "--llm-limit=1", "-v")
    run.result.assert_outcomes(passed=4)
    run.result.stdout.fnmatch_lines_random(
        [
            f"test_bench_aime25.py::test_aime25[[]AIME2025-{part}-0-r{repeat}[]] PASSED*"
            for part in ("I", "II")
            for repeat in (0, 1)
        ]
    )
    assert sorted((r["sample_id"], r["repeat"]) for r in run.samples()) == [
        ("AIME2025-I-0", 0),
        ("AIME2025-I-0", 1),
        ("AIME2025-II-0", 0),
        ("AIME2025-II-0", 1),
    ]


# -- a run killed mid-way is resumed from the cache -----------------------------------------------
def _wait_for(predicate, what: str, deadline_s: float = 120.0) -> None:
    """Poll until `predicate()` holds (a generous deadline only guards against a hang)."""
    deadline = time.monotonic() + deadline_s
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def _records(folder: Path) -> list[dict]:
    """Whole records of samples.jsonl (a kill may cut the last line short)."""
    records = []
    for path in folder.glob("*/samples.jsonl"):
        for line in path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
    return records


def test_resume_after_kill_9_repeats_no_finished_call(serve, llmeval, pytester):
    slow = {"delay": 0.1}
    server = serve(lambda request: replace(aime_oracle(request), delay=slow["delay"]))
    pytester.makepyfile(**{BENCH_MODULE: AIME_MODULE})
    killed_output = pytester.path / "killed"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"{BENCH_MODULE}.py",
            "--llm-model=scripted",
            f"--llm-base-url={server.base_url}",
            f"--llm-data=aime25={AIME_DATA}",
            f"--llm-output={killed_output}",
            "--llm-concurrency=2",
        ],
        cwd=pytester.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: len(_records(killed_output)) >= 6, "six finished samples")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    finished = {last_user_text({"messages": r["messages"]}) for r in _records(killed_output)}
    finished_bodies = [r for r in server.requests if last_user_text(r) in finished]
    assert 6 <= len(finished) < 30
    cached = len(ResponseCache(pytester.path / ".llmeval_cache/responses.sqlite3"))
    assert len(finished) <= cached < 30

    slow["delay"] = 0.0
    before = len(server.requests)
    run = llmeval(server.base_url)
    new = server.requests[before:]
    assert not [body for body in new if body in finished_bodies]
    assert len(new) == 30 - cached  # every call that finished came from the cache
    assert run.ret == 0
    assert run.rows() == [
        ("AveragePass@1", "AIME2025-I", 15, 1.0, 0),
        ("AveragePass@1", "AIME2025-II", 15, 1.0, 0),
        ("AveragePass@1", "OVERALL", 30, 1.0, 0),
    ]
    assert sum(record["cached"] for record in run.samples()) == cached


# -- the garbage collector during a run ---------------------------------------------------------
GC_PROBE = """
import gc
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    with open("thresholds.txt", "a") as handle:
        handle.write("%d %d %d\\n" % gc.get_threshold())
"""


def test_a_run_collects_its_oldest_generation_less_often_and_restores_the_thresholds(
    serve, llmeval, pytester
):
    import gc

    server = serve(aime_handler(lambda subset, index, gold: gold))
    pytester.makeconftest(GC_PROBE)
    before = gc.get_threshold()
    gc.set_threshold(500, 7, 20)
    try:
        run = llmeval(server.base_url, "--llm-no-cache", "--llm-limit=2")
        after = gc.get_threshold()
    finally:
        gc.set_threshold(*before)
    assert run.ret == 0
    seen = set((pytester.path / "thresholds.txt").read_text().splitlines())
    assert seen == {"500 7 100"}  # the user's young and middle thresholds are kept
    assert after == (500, 7, 20)


EXIT_PROBE = """
import atexit
import gc

atexit.register(lambda: print("left for the collector at exit:", len(gc.get_objects())))
"""


def test_at_exit_the_collector_is_left_nothing_to_walk(serve, llmeval, pytester):
    """CPython's finalization walks every object the collector tracks, for cycles whose memory
    the system takes back anyway (about a second after 10,000 samples): after a run there is
    next to nothing left for it (the conftest's handler, registered first, runs last)."""
    server = serve(aime_handler(lambda subset, index, gold: gold))
    pytester.makeconftest(EXIT_PROBE)
    run = llmeval(server.base_url, "--llm-no-cache", subprocess=True)
    assert run.ret == 0
    left = int(re.search(r"left for the collector at exit: (\d+)", run.text)[1])
    assert left < 100


# -- xdist gives the same report ------------------------------------------------------------------
def mixed(subset: str, index: int, gold: str) -> str:
    return gold if (index % 3 == 0) == (subset == "AIME2025-I") else "999"


def test_xdist_and_a_single_process_give_identical_reports(serve, llmeval):
    server = serve(aime_handler(mixed))
    common = ("--llm-no-cache", "--llm-repeats=2", "--llm-threshold=aime25=0.1")
    single = llmeval(server.base_url, *common, "-n", "0")
    spread = llmeval(server.base_url, *common, "-n", "2", subprocess=True)
    assert (single.ret, spread.ret) == (0, 0)
    assert "2 workers [60 items]" in spread.text
    assert spread.report()["rows"] == single.report()["rows"]
    assert spread.table() == single.table()
    assert single.rows()[:3] == [
        ("AveragePass@1", "AIME2025-I", 30, 0.3333, 0),
        ("AveragePass@1", "AIME2025-II", 30, 0.6667, 0),
        ("AveragePass@1", "OVERALL", 60, 0.5, 0),
    ]
    assert len(server.requests) == 120

    def outcomes(run):
        return sorted((r["nodeid"], r["passed"], r["reason"]) for r in run.samples())

    assert outcomes(spread) == outcomes(single)
    assert (
        spread.report()["meta"]["datasets"]["aime25"]["content_hash"]
        == (single.report()["meta"]["datasets"]["aime25"]["content_hash"])
    )


# -- the API key never reaches an output ----------------------------------------------------------
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_api_key_is_in_no_output(serve, llmeval, pytester, monkeypatch, how):
    key = "sk-live-0123456789abcdef-SECRET"
    server = serve(aime_handler(lambda subset, index, gold: gold if index else "999"), api_key=key)
    args = ["-rA", "-v"]
    if how == "flag":
        args.append(f"--llm-api-key={key}")
    else:
        monkeypatch.setenv("OPENAI_API_KEY", key)
    run = llmeval(server.base_url, *args, "--llm-limit=2")
    assert run.ret == 1  # the key worked (401 would be exit 4); one wrong answer per subset
    assert len(server.requests) == 4
    assert key not in run.text
    files = [path for path in run.run_dir.rglob("*") if path.is_file()]
    assert {"report.json", "report.csv", "samples.jsonl", "report.html"} <= {p.name for p in files}
    for path in [*files, *(pytester.path / ".llmeval_cache").iterdir()]:
        assert key.encode() not in path.read_bytes(), path


# -- calls in a run: streaming, retries, timeouts -------------------------------------------------
def test_a_streamed_run_keeps_reasoning_apart(serve, llmeval):
    def choose(subset: str, index: int, gold: str) -> Reply:
        return Reply(text=f"<think>try {gold}</think>So \\boxed{{{gold}}}.", usage=(20, 8))

    server = serve(aime_handler(choose))
    run = llmeval(server.base_url, "--llm-stream", "--llm-limit=2")
    assert run.ret == 0
    assert {request["stream"] for request in server.requests} == {True}
    first = next(r for r in run.samples() if r["sample_id"] == "AIME2025-I-0")
    assert first["response"]["text"] == "So \\boxed{24}."
    assert first["response"]["reasoning"] == "try 24"
    assert first["usage"] == {"prompt_tokens": 20, "completion_tokens": 8, "calls": 1}
    assert "tokens 80 in / 32 out" in run.text


def test_retries_and_timeouts_in_a_run_are_recorded(serve, llmeval):
    asked: dict[tuple[str, int], int] = {}

    def choose(subset: str, index: int, gold: str) -> str | Reply:
        asked[subset, index] = asked.get((subset, index), 0) + 1
        if subset == "AIME2025-I" and asked[subset, index] <= 2:
            return Reply(status=503, error="busy", headers={"Retry-After": "0"})
        if subset == "AIME2025-II":
            return Reply(text="late", delay=0.6)
        return gold

    server = serve(aime_handler(choose))
    run = llmeval(server.base_url, "--llm-limit=1", "--llm-timeout=0.2", "--llm-retries=2", "-rE")
    assert run.ret == 1
    run.result.assert_outcomes(passed=1, errors=1)
    records = {r["sample_id"]: r for r in run.samples()}
    retried, timed_out = records["AIME2025-I-0"], records["AIME2025-II-0"]
    assert (retried["passed"], retried["attempts"], retried["error"]) == (True, 3, None)
    assert (timed_out["error"], timed_out["error_kind"]) == ("request timed out", "service")
    assert (timed_out["attempts"], timed_out["scored"]) == (3, False)
    assert asked == {("AIME2025-I", 0): 3, ("AIME2025-II", 0): 3}
    assert run.rows() == [
        ("AveragePass@1", "AIME2025-I", 1, 1.0, 0),
        ("AveragePass@1", "AIME2025-II", 0, None, 1),
        ("AveragePass@1", "OVERALL", 1, 1.0, 1),
    ]


CRASHING_BENCHMARK = """
import pytest
from pytest_llmeval.benchmarks import Benchmark, register
from pytest_llmeval.records import Sample


@register
class Crashing(Benchmark):
    name = "crashing"

    def load(self, source):
        return [Sample("only", self.name, "default", [{"role": "user", "content": "hi"}], "x")]

    def score(self, sample, outcome):
        raise ZeroDivisionError("scorer bug")


@pytest.mark.llm_benchmark("crashing")
def test_crashing(llm_eval):
    llm_eval.check()
"""


def test_a_scorer_that_crashes_is_recorded_as_an_error_not_lost(pytester, serve):
    server = serve(lambda request: Reply(text="x"))
    pytester.makepyfile(test_crashing=CRASHING_BENCHMARK)
    output = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--llm-model=m", f"--llm-base-url={server.base_url}", f"--llm-output={output}"
    )
    result.assert_outcomes(failed=1)
    (run_dir,) = output.iterdir()
    (record,) = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert record["error_kind"] == "scorer"
    assert record["error"] == "scorer crashed: ZeroDivisionError('scorer bug')"
    assert record["response"]["text"] == "x"
    report = json.loads((run_dir / "report.json").read_text())
    assert [(r["subset"], r["errors"]) for r in report["rows"]] == [("default", 1), ("OVERALL", 1)]
