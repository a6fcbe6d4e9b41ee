"""Thresholds decide the exit status; errors count against a tolerance; plain runs stay pytest."""

from __future__ import annotations

import pytest

from pytest_llmeval.records import Row
from pytest_llmeval.reporting.gate import Threshold, parse_threshold, shortfalls
from tests.conftest import aime_handler
from tests.scripted_server import Reply

AIME = (["AveragePass@1"], ["AIME2025-I", "AIME2025-II"])


def figures(name: str) -> tuple[list[str], list[str]]:
    if name != "aime25":
        raise KeyError(f"unknown benchmark {name!r} (known: aime25)")
    return AIME


@pytest.mark.parametrize(
    ("text", "metric", "subset", "minimum"),
    [
        ("aime25=0.5", "AveragePass@1", "OVERALL", 0.5),
        ("aime25:AIME2025-I=0.8", "AveragePass@1", "AIME2025-I", 0.8),
        ("aime25:OVERALL=1", "AveragePass@1", "OVERALL", 1.0),
        ("aime25:AveragePass@1=0.25", "AveragePass@1", "OVERALL", 0.25),
        ("aime25:AveragePass@1:AIME2025-II=0", "AveragePass@1", "AIME2025-II", 0.0),
        (" aime25 : AIME2025-II = .7 ", "AveragePass@1", "AIME2025-II", 0.7),
    ],
)
def test_threshold_forms(text, metric, subset, minimum):
    assert parse_threshold(text, figures) == Threshold("aime25", metric, subset, minimum, text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "aime25",
            "--llm-threshold 'aime25': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        (
            "aime25=high",
            "--llm-threshold 'aime25=high': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        (
            "aime25::AIME2025-I=0.5",
            "--llm-threshold 'aime25::AIME2025-I=0.5': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        (
            "a:b:c:d=0.5",
            "--llm-threshold 'a:b:c:d=0.5': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        ("bogus=0.5", "--llm-threshold 'bogus=0.5': unknown benchmark 'bogus' (known: aime25)"),
        (
            "aime25:AIME2025-III=0.5",
            "--llm-threshold 'aime25:AIME2025-III=0.5': 'AIME2025-III' is neither a metric "
            "(AveragePass@1) nor a subset (AIME2025-I, AIME2025-II, OVERALL) of aime25",
        ),
        (
            "aime25:accuracy:AIME2025-I=0.5",
            "--llm-threshold 'aime25:accuracy:AIME2025-I=0.5': unknown metric or subset of aime25 "
            "(metrics: AveragePass@1; subsets: AIME2025-I, AIME2025-II, OVERALL)",
        ),
        (
            "aime25:AveragePass@1:I=0.5",
            "--llm-threshold 'aime25:AveragePass@1:I=0.5': unknown metric or subset of aime25 "
            "(metrics: AveragePass@1; subsets: AIME2025-I, AIME2025-II, OVERALL)",
        ),
    ],
)
def test_bad_thresholds_are_usage_errors(text, message):
    with pytest.raises(pytest.UsageError) as raised:
        parse_threshold(text, figures)
    assert str(raised.value) == message


def test_shortfalls_name_the_figure_the_threshold_and_the_value():
    rows = [
        Row("m", "aime25", "AveragePass@1", s, 30, v)
        for s, v in [("AIME2025-I", 0.4), ("AIME2025-II", 1 / 3), ("OVERALL", 11 / 30)]
    ]
    thresholds = [
        parse_threshold(text, figures)
        for text in ("aime25=0.5", "aime25:AIME2025-I=0.4", "aime25:AIME2025-II=0.34")
    ]
    assert shortfalls(thresholds, rows, {"aime25": (0, 30)}, 0.0) == [
        "aime25 AveragePass@1 OVERALL: 0.3667 < threshold 0.5",
        "aime25 AveragePass@1 AIME2025-II: 0.3333 < threshold 0.34",
    ]
    assert shortfalls([parse_threshold("aime25=0.3667", figures)], rows, {}, 0.0) == [
        "aime25 AveragePass@1 OVERALL: 0.366667 < threshold 0.3667"
    ]
    assert shortfalls(thresholds[1:2], rows, {"aime25": (3, 30)}, 0.1) == []
    assert shortfalls(thresholds[1:2], rows, {"aime25": (4, 30)}, 0.1) == [
        "aime25: 4 of 30 samples failed to run (error rate 0.1333 > --llm-max-error-rate 0.1)"
    ]
    assert shortfalls(thresholds[:1], [], {}, 0.0) == [
        "aime25 AveragePass@1 OVERALL: not measured (threshold 0.5)"
    ]


# -- whole runs -----------------------------------------------------------------------------------
def mixed(subset: str, index: int, gold: str) -> str:
    """AIME2025-I: 6 of 15 right (0.4); AIME2025-II: 5 of 15 (0.3333); OVERALL 0.3667."""
    return gold if index < (6 if subset == "AIME2025-I" else 5) else "999"


def errors_on_three(subset: str, index: int, gold: str) -> str | Reply:
    """Three calls fail for good (HTTP 400), the rest are answered right."""
    if subset == "AIME2025-II" and index < 3:
        return Reply(status=400, error="context length exceeded")
    return gold


@pytest.fixture
def mixed_server(serve):
    return serve(aime_handler(mixed))


@pytest.mark.parametrize(
    "threshold",
    ["aime25=0.3666", "aime25:AIME2025-I=0.4", "aime25:AveragePass@1=0.3", "aime25=0"],
)
def test_a_gate_that_holds_passes_despite_wrong_answers(mixed_server, llmeval, threshold):
    run = llmeval(mixed_server.base_url, f"--llm-threshold={threshold}")
    assert run.ret == 0
    run.result.assert_outcomes(passed=11, failed=19)
    assert "gate passed (1 thresholds)" in run.text
    assert run.report()["meta"]["gate_shortfalls"] == []


def test_a_gate_that_fails_prints_one_line_per_shortfall(mixed_server, llmeval):
    run = llmeval(
        mixed_server.base_url,
        "--llm-threshold=aime25=0.5",
        "--llm-threshold=aime25:AIME2025-I=0.4",
        "--llm-threshold=aime25:AveragePass@1:AIME2025-II=0.34",
    )
    assert run.ret == 1
    lines = run.result.outlines
    start = lines.index("gate FAILED:")
    assert lines[start + 1 : start + 3] == [
        "  aime25 AveragePass@1 OVERALL: 0.3667 < threshold 0.5",
        "  aime25 AveragePass@1 AIME2025-II: 0.3333 < threshold 0.34",
    ]
    assert not lines[start + 3].startswith("  aime25")
    assert run.report()["meta"]["gate_shortfalls"] == [
        "aime25 AveragePass@1 OVERALL: 0.3667 < threshold 0.5",
        "aime25 AveragePass@1 AIME2025-II: 0.3333 < threshold 0.34",
    ]
    assert run.report()["meta"]["exit_status"] == 1


@pytest.fixture
def wide(monkeypatch):
    """Short test summary lines are cut at the terminal's width: make it wide."""
    monkeypatch.setenv("COLUMNS", "200")


def test_errors_above_the_tolerance_fail_the_gate(serve, llmeval, wide):
    server = serve(aime_handler(errors_on_three))
    run = llmeval(server.base_url, "--llm-threshold=aime25=0.5")
    assert run.ret == 1
    assert (
        "  aime25: 3 of 30 samples failed to run (error rate 0.1 > --llm-max-error-rate 0.0)"
        in (run.result.outlines)
    )
    assert run.rows() == [
        ("AveragePass@1", "AIME2025-I", 15, 1.0, 0),
        ("AveragePass@1", "AIME2025-II", 12, 1.0, 3),
        ("AveragePass@1", "OVERALL", 27, 1.0, 3),
    ]
    run.result.assert_outcomes(passed=27, errors=3)
    assert "HTTP 400: context length exceeded" in run.text
    tolerant = llmeval(server.base_url, "--llm-threshold=aime25=0.5", "--llm-max-error-rate=0.1")
    assert tolerant.ret == 0


def test_ignore_errors_scores_errors_zero_and_counts_them(serve, llmeval):
    server = serve(aime_handler(errors_on_three))
    run = llmeval(
        server.base_url,
        "--llm-ignore-errors",
        "--llm-threshold=aime25=0.9",
        "--llm-max-error-rate=0.1",
    )
    assert run.rows() == [
        ("AveragePass@1", "AIME2025-I", 15, 1.0, 0),
        ("AveragePass@1", "AIME2025-II", 15, 0.8, 3),
        ("AveragePass@1", "OVERALL", 30, 0.9, 3),
    ]
    assert run.ret == 0
    run.result.assert_outcomes(passed=27, failed=3)
    errored = [r for r in run.samples() if r["error"]]
    assert [(r["sample_id"], r["scored"], r["metrics"]) for r in errored] == [
        (f"AIME2025-II-{i}", True, {"AveragePass@1": 0.0}) for i in range(3)
    ]
    assert {(r["error"], r["error_kind"]) for r in errored} == {
        ("HTTP 400: context length exceeded", "service")
    }
    assert "aime25: 30 samples (3 errors, 0 from cache)" in run.text


def test_without_thresholds_a_wrong_answer_fails_with_one_line(mixed_server, llmeval, wide):
    run = llmeval(mixed_server.base_url, "--llm-limit=7")
    assert run.ret == 1
    run.result.assert_outcomes(passed=11, failed=3)
    failed = [line for line in run.result.outlines if line.startswith("FAILED ")]
    assert failed == [
        "FAILED test_bench_aime25.py::test_aime25[AIME2025-I-6] - Failed: expected 465, got 999",
        "FAILED test_bench_aime25.py::test_aime25[AIME2025-II-5] - Failed: expected 385, got 999",
        "FAILED test_bench_aime25.py::test_aime25[AIME2025-II-6] - Failed: expected 35, got 999",
    ]
    assert "Traceback" not in run.text
    assert "llm_eval.check()" not in run.text  # no source excerpt either


def test_without_thresholds_all_right_is_exit_zero(serve, llmeval):
    server = serve(aime_handler(lambda subset, index, gold: gold))
    run = llmeval(server.base_url, "--llm-limit=2")
    assert run.ret == 0
    run.result.assert_outcomes(passed=4)
    assert "gate" not in run.text
