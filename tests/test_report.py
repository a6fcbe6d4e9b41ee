"""The summary table and the report files: layout, OVERALL arithmetic, contents, metadata."""

# ruff: noqa: E501 - the seed's tables are wider than our lines

from __future__ import annotations

import csv
import datetime as dt
import shutil
from importlib import metadata
from typing import Any, ClassVar

import pytest

from pytest_llmeval.benchmarks.base import Benchmark
from pytest_llmeval.records import Row, SampleRecord
from pytest_llmeval.reporting.rows import build_rows
from pytest_llmeval.reporting.table import format_score, format_table
from tests.conftest import AIME_DATA, aime_handler

SEED_BFCL_TABLE = """\
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| Model            | Dataset   | Metric          | Subset                  |   Num |   Score | Cat.0        |
+==================+===========+=================+=========================+=======+=========+==============+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | live_simple             |   257 |  0.8171 | AST_LIVE     |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | live_multiple           |  1039 |  0.8085 | AST_LIVE     |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | live_parallel           |    16 |  0.375  | AST_LIVE     |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | live_parallel_multiple  |    24 |  0.4167 | AST_LIVE     |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | simple                  |   400 |  0.955  | AST_NON_LIVE |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | multi_turn_base         |   200 |  0.43   | MULTI_TURN   |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | multi_turn_long_context |   200 |  0.385  | MULTI_TURN   |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+
| qwen3-coder-plus | bfcl_v3   | AverageAccuracy | OVERALL                 |  4424 |  0.7199 | -            |
+------------------+-----------+-----------------+-------------------------+-------+---------+--------------+"""

SEED_QWEN3_TABLE = """\
+-------------------------------+------------------+------------------+----------------------+-------+---------+---------+
| Model                         | Dataset          | Metric           | Subset               |   Num |   Score | Cat.0   |
+===============================+==================+==================+======================+=======+=========+=========+
| qwen3-235b-a22b-instruct-2507 | aime25           | AveragePass@1    | AIME2025-I           |    15 |  0.6667 | default |
+-------------------------------+------------------+------------------+----------------------+-------+---------+---------+
| qwen3-235b-a22b-instruct-2507 | chinese_simpleqa | is_correct       | Humanities & Social  |    20 |  1      | default |
+-------------------------------+------------------+------------------+----------------------+-------+---------+---------+
| qwen3-235b-a22b-instruct-2507 | chinese_simpleqa | is_correct       | Life, Arts & Culture |    20 |  0.8    | default |
+-------------------------------+------------------+------------------+----------------------+-------+---------+---------+
| qwen3-235b-a22b-instruct-2507 | simple_qa        | is_not_attempted | default              |    20 |  0.05   | default |
+-------------------------------+------------------+------------------+----------------------+-------+---------+---------+"""


def _seed_rows(table: str) -> list[dict[str, Any]]:
    """Row dicts read back from a seed table's cells (Errors 0: the seed has no such column)."""
    rows = []
    for line in table.splitlines()[3::2]:
        model, dataset, metric, subset, num, score, category = (
            cell.strip() for cell in line.strip("|").split("|")
        )
        rows.append(Row(model, dataset, metric, subset, int(num), float(score), category, 0))
    return rows


def _without_last_column(table: str) -> str:
    return "\n".join(
        line[: line.rstrip(line[-1]).rfind(line[-1]) + 1] for line in table.splitlines()
    )


@pytest.mark.parametrize("seed", [SEED_BFCL_TABLE, SEED_QWEN3_TABLE], ids=["bfcl", "qwen3"])
def test_table_reproduces_the_seeds_layout(seed):
    table = format_table(_seed_rows(seed))
    assert _without_last_column(table) == seed
    assert table.splitlines()[1].endswith("|   Errors |")
    assert table.splitlines()[3].endswith("|        0 |")


@pytest.mark.parametrize(
    ("score", "text"),
    [
        (0.375, "0.375"),
        (5 / 12, "0.4167"),
        (1.0, "1"),
        (0.0, "0"),
        (2 / 3, "0.6667"),
        (0.95, "0.95"),
        (0.99996, "1"),
        (0.71992, "0.7199"),
        (None, "-"),
    ],
)
def test_scores_have_four_decimals_at_most(score, text):
    assert format_score(score) == text


class Toy(Benchmark):
    name = "toy"
    subsets: ClassVar[tuple[str, ...]] = ("live_parallel", "live_parallel_multiple")

    def category(self, subset: str) -> str:
        return "AST_LIVE"


def _records(subset: str, passed: int, failed: int, errors: int = 0, scored_errors: int = 0):
    outcomes = [(True, None)] * passed + [(False, None)] * failed
    outcomes += [(False, "HTTP 500: x")] * (errors + scored_errors)
    return [
        SampleRecord.from_dict(
            {
                "dataset": "toy",
                "category": "AST_LIVE",
                "subset": subset,
                "sample_id": f"{subset}-{i}",
                "passed": ok,
                "error": error,
                "scored": error is None or i >= passed + failed + errors,
                "metrics": {"AverageAccuracy": float(ok)},
            }
        )
        for i, (ok, error) in enumerate(outcomes)
    ]


def test_overall_is_the_count_weighted_mean_and_errors_are_counted():
    records = (
        _records("extra", 1, 1)
        + _records("live_parallel_multiple", 10, 14, errors=2)
        + _records("live_parallel", 6, 8, scored_errors=2)
    )
    rows = build_rows("m", records, {"toy": Toy()})
    assert [(r.subset, r.num, round(r.score, 4), r.category, r.errors) for r in rows] == [
        ("live_parallel", 16, 0.375, "AST_LIVE", 2),  # scored errors count as 0 in Num
        ("live_parallel_multiple", 24, 0.4167, "AST_LIVE", 2),  # unscored: not in Num
        ("extra", 2, 0.5, "AST_LIVE", 0),  # subsets the benchmark does not list come last
        ("OVERALL", 42, 0.4048, "-", 4),  # (6 + 10 + 1) / 42, not the mean of the subsets
    ]
    assert {(r.model, r.dataset, r.metric) for r in rows} == {("m", "toy", "AverageAccuracy")}


# -- a whole run ----------------------------------------------------------------------------------
MIXED_TABLE = """\
+----------+-----------+---------------+-------------+-------+---------------+---------+----------+
| Model    | Dataset   | Metric        | Subset      |   Num |         Score | Cat.0   |   Errors |
+==========+===========+===============+=============+=======+===============+=========+==========+
| scripted | aime25    | AveragePass@1 | AIME2025-I  |    15 | 0.4    ±0.222 | default |        0 |
+----------+-----------+---------------+-------------+-------+---------------+---------+----------+
| scripted | aime25    | AveragePass@1 | AIME2025-II |    15 | 0.3333 ±0.216 | default |        0 |
+----------+-----------+---------------+-------------+-------+---------------+---------+----------+
| scripted | aime25    | AveragePass@1 | OVERALL     |    30 | 0.3667 ±0.163 | -       |        0 |
+----------+-----------+---------------+-------------+-------+---------------+---------+----------+"""
"""A real run: each score carries ± half the width of its 95% Wilson interval (6/15, 5/15, 11/30)."""


def mixed(subset: str, index: int, gold: str) -> str:
    """6 of AIME2025-I and 5 of AIME2025-II right: 0.4, 0.3333, OVERALL 11/30."""
    return gold if index < (6 if subset == "AIME2025-I" else 5) else "999"


GENERATION = (
    "--llm-temperature=0.7",
    "--llm-top-p=0.8",
    "--llm-top-k=20",
    "--llm-max-tokens=16384",
)


@pytest.fixture
def mixed_run(serve, llmeval):
    server = serve(aime_handler(mixed))
    return server, llmeval(server.base_url, *GENERATION, "--llm-api-key=sk-do-not-store")


def test_table_and_usage_lines_of_a_run(mixed_run):
    _, run = mixed_run
    assert run.ret == 1  # no thresholds: wrong answers fail
    assert run.table() == MIXED_TABLE
    assert (
        "aime25: 30 samples (0 errors, 0 from cache), 30 calls, tokens 300 in / 150 out; "
        "latency p50 "
    ) in run.text
    assert f"reports in {run.run_dir}" in run.text
    run.result.assert_outcomes(passed=11, failed=19)


def test_report_json_and_csv_rows(mixed_run):
    _, run = mixed_run
    rows = run.report()["rows"]
    assert [(r["subset"], r["num"], round(r["score"], 4), r["errors"]) for r in rows] == [
        ("AIME2025-I", 15, 0.4, 0),
        ("AIME2025-II", 15, 0.3333, 0),
        ("OVERALL", 30, 0.3667, 0),
    ]
    assert {(r["model"], r["dataset"], r["metric"]) for r in rows} == {
        ("scripted", "aime25", "AveragePass@1")
    }
    assert [r["category"] for r in rows] == ["default", "default", "-"]
    with (run.run_dir / "report.csv").open(newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][8:] == ["SE", "CI low", "CI high", "CI method", "Clusters", "df"]
    for line, row in zip(table[1:], rows):  # the error bars of report.json, to 6 places
        assert line[8:11] == [str(round(row[key], 6)) for key in ("se", "ci_low", "ci_high")]
        assert line[11:] == ["wilson", "", "14" if row["num"] == 15 else "29"]
    assert [line[:8] for line in table] == [
        ["Model", "Dataset", "Metric", "Subset", "Num", "Score", "Cat.0", "Errors"],
        ["scripted", "aime25", "AveragePass@1", "AIME2025-I", "15", "0.4", "default", "0"],
        [
            "scripted",
            "aime25",
            "AveragePass@1",
            "AIME2025-II",
            "15",
            "0.333333",
            "default",
            "0",
        ],
        ["scripted", "aime25", "AveragePass@1", "OVERALL", "30", "0.366667", "-", "0"],
    ]


def test_report_metadata(mixed_run):
    server, run = mixed_run
    meta = run.report()["meta"]
    assert meta["model"] == {
        "model": "scripted",
        "base_url": server.base_url,
        "api_key": "***",
        "generation": {"temperature": 0.7, "top_p": 0.8, "top_k": 20, "max_tokens": 16384},
    }
    assert meta["plugin_version"] == metadata.version("pytest-llmeval")
    source = meta["datasets"]["aime25"]
    assert (source["source"], source["samples"]) == (str(AIME_DATA), 30)
    assert len(source["content_hash"]) == 16
    started = dt.datetime.fromisoformat(meta["started"])
    finished = dt.datetime.fromisoformat(meta["finished"])
    assert started.tzinfo is not None
    assert started <= finished
    command = meta["command"]
    assert command[0] == "pytest"
    assert "--llm-api-key=***" in command
    assert "--llm-model=scripted" in command
    assert f"--llm-base-url={server.base_url}" in command
    assert (meta["limit"], meta["repeats"], meta["exit_status"]) == (None, 1, 1)
    assert (meta["thresholds"], meta["gate_shortfalls"]) == ([], None)
    assert meta["usage"]["aime25"]["calls"] == 30


def test_content_hash_follows_the_data_not_its_location(serve, llmeval, pytester):
    server = serve(aime_handler(mixed))
    copy = pytester.path / "copy"
    shutil.copytree(AIME_DATA, copy)
    hashes = [llmeval(server.base_url).report()["meta"]["datasets"]["aime25"]["content_hash"]]
    hashes.append(
        llmeval(server.base_url, f"--llm-data=aime25={copy}").report()["meta"]["datasets"][
            "aime25"
        ]["content_hash"]
    )
    first = copy / "AIME2025-I.jsonl"
    first.write_text(first.read_text().replace('"answer": "24"', '"answer": "25"'))
    hashes.append(
        llmeval(server.base_url, f"--llm-data=aime25={copy}").report()["meta"]["datasets"][
            "aime25"
        ]["content_hash"]
    )
    assert hashes[0] == hashes[1] != hashes[2]
    limited = llmeval(server.base_url, "--llm-limit=3").report()["meta"]["datasets"]["aime25"]
    assert limited["samples"] == 6
    assert limited["content_hash"] != hashes[0]  # the hash covers the data actually used


def test_samples_jsonl_has_one_full_record_per_sample(mixed_run):
    server, run = mixed_run
    records = run.samples()
    assert len(records) == 30
    assert sorted(r["sample_id"] for r in records) == sorted(
        f"{subset}-{i}" for subset in ("AIME2025-I", "AIME2025-II") for i in range(15)
    )
    by_id = {r["sample_id"]: r for r in records}
    question = "What is the remainder when $2^{10}$ is divided by $1000$?"
    prompt = (
        f"{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."
    )
    right, wrong = by_id["AIME2025-I-0"], by_id["AIME2025-I-7"]
    expected = {
        "nodeid": "test_bench_aime25.py::test_aime25[AIME2025-I-0]",
        "dataset": "aime25",
        "subset": "AIME2025-I",
        "category": "default",
        "sample_id": "AIME2025-I-0",
        "repeat": 0,
        "messages": [{"role": "user", "content": prompt}],  # the reply is in "response" only
        "response": {
            "text": "So \\boxed{24}.",
            "reasoning": "",
            "tool_calls": None,  # the server's message had no tool_calls list
            "finish_reason": "stop",
        },
        "extracted": "24",
        "target": "24",
        "passed": True,
        "reason": "correct",
        "metrics": {"AveragePass@1": 1.0},
        "tags": [],
        "scored": True,
        "error": None,
        "error_kind": None,
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "calls": 1},
        "attempts": 1,
        "cached": False,
    }
    assert {key: right[key] for key in expected} == expected
    assert right["latency_s"] > 0
    assert [right["messages"][0]] in [request["messages"] for request in server.requests]
    assert (wrong["passed"], wrong["extracted"], wrong["target"]) == (False, "999", "96")
    assert wrong["reason"] == "expected 96, got 999"
    assert wrong["metrics"] == {"AveragePass@1": 0.0}


def test_html_page_has_the_table_and_one_line_per_sample(mixed_run):
    _, run = mixed_run
    page = (run.run_dir / "report.html").read_text()
    assert "pytest-llmeval summary" in page
    assert page.count("llmeval-summary") == 1
    for cell in ("AIME2025-II", "0.3333", "0.3667", "AveragePass@1"):
        assert f"<td>{cell}</td>" in page
    assert page.count("llmeval-sample") == 30
    assert page.count("viewer.html#sample=aime25/") == 30
    assert "viewer.html#sample=aime25/AIME2025-I-7/r0" in page
    assert "expected 96, got 999" in page  # the reason line stays
    assert "divided by $1000$" not in page  # the prompt is the viewer's to show
    assert "15 tokens" in page  # 10 in + 5 out, as the scripted server counts
    assert "Failed: expected 96" not in page  # no log under a sample: the line says it
    assert "No log output captured" not in page


def test_html_page_self_contained_keeps_the_table_and_the_lines(serve, llmeval):
    server = serve(aime_handler(mixed))
    run = llmeval(server.base_url, "--llm-limit=1", "--self-contained-html")
    page = (run.run_dir / "report.html").read_text()
    assert not (run.run_dir / "assets").exists()
    assert "assets/style.css" not in page
    assert "<td>AIME2025-II</td>" in page
    assert page.count("llmeval-sample") == 2
    assert "viewer.html#sample=aime25/AIME2025-II-0/r0" in page


def test_official_rows_count_the_errors_of_the_samples_they_cover():
    from pytest_llmeval.benchmarks.bfcl_v3.benchmark import BfclV3

    def record(subset: str, i: int, error: str | None = None) -> SampleRecord:
        ok = error is None
        return SampleRecord("bfcl_v3", subset, f"{subset}_{i}", passed=ok, error=error,
                            scored=ok, metrics={"AverageAccuracy": float(ok)})  # fmt: skip

    records = [
        record("live_simple", 0), record("live_simple", 1), record("live_simple", 2, "HTTP 500"),
        record("multi_turn_base", 0), record("multi_turn_base", 1, "HTTP 500"),
        record("multi_turn_base", 2, "HTTP 500"), record("simple", 0),
    ]  # fmt: skip
    rows = build_rows("m", records, {"bfcl_v3": BfclV3()})
    official = {r.subset: r.errors for r in rows if r.metric == "LeaderboardAccuracy"}
    assert official == {"NON_LIVE": 0, "LIVE": 1, "MULTI_TURN": 2, "OVERALL": 3}


def test_a_records_plain_data_and_summary_are_dataclasses_own():
    """to_dict against dataclasses.asdict; summary and summary_data keep the same fields."""
    import dataclasses

    from pytest_llmeval.records import SUMMARY_FIELDS, Usage, summary_data

    record = SampleRecord(
        "toy", "s", "7", repeat=1, nodeid="t.py::t[7]", cluster="7", passed=True, reason="ok",
        metrics={"AverageAccuracy": 1.0}, tags=["x"], usage=Usage(3, 4, 1),
        judge_usage=Usage(1, 2, 1), latency_s=0.5, attempts=2, cached=True,
        messages=[{"role": "user", "content": "q"}], response={"text": "a"}, target="a",
        labels={"k": [1]}, extra={"e": {"f": 2}},
    )  # fmt: skip
    data = record.to_dict()
    assert data == dataclasses.asdict(record)
    assert list(data) == [f.name for f in dataclasses.fields(SampleRecord)]
    assert SampleRecord.from_dict(data) == record
    light = summary_data(data)
    assert tuple(light) == SUMMARY_FIELDS and "messages" not in light
    assert SampleRecord.from_dict(light) == record.summary()
    assert record.summary().messages == [] and record.summary().usage == Usage(3, 4, 1)
