"""HMMT February 2025 on our own problems in MathArena's schema: EvalScope's prompt, answers
that are expressions, problem types kept as labels."""

from __future__ import annotations

import pandas as pd

from pytest_llmeval.benchmarks.hmmt25 import Hmmt25
from tests.conftest import DATA
from tests.thin import answering, failure_lines, read_jsonl, run_benchmark

DATA_DIR = DATA / "hmmt25"
ROWS = read_jsonl(DATA_DIR / "train.jsonl")
BY_PROBLEM = {row["problem"]: row for row in ROWS}


def test_prompt_is_evalscopes_hmmt25_template():
    samples = Hmmt25().load(str(DATA_DIR))
    assert samples[1].messages == [
        {
            "role": "user",
            "content": "Problem:\nAn equilateral triangle has side length $3$. Compute its area.\n"
            "\nPlease reason step by step, and put your final answer within \\boxed{}.\n",
        }
    ]
    assert [(s.id, s.subset, s.target) for s in samples][:2] == [
        ("1", "default", "8"),
        ("2", "default", "\\frac{9\\sqrt{3}}{4}"),
    ]
    assert samples[5].meta == {"labels": {"problem_type": ["Combinatorics", "Number Theory"]}}


def test_parquet_copy_with_list_columns(tmp_path):
    path = tmp_path / "train-00000-of-00001.parquet"
    pd.DataFrame(ROWS).to_parquet(path)
    samples = Hmmt25().load(str(tmp_path))  # the hub's own file name in a folder
    assert [(s.id, s.target) for s in samples] == [
        (str(r["problem_idx"]), r["answer"]) for r in ROWS
    ]
    assert samples[5].meta["labels"] == {"problem_type": ["Combinatorics", "Number Theory"]}


def test_expression_answers_in_equivalent_forms_score_one(pytester, serve, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    equivalent = {
        2: "\\boxed{\\dfrac{9}{4}\\sqrt{3}}",
        5: "\\boxed{\\frac{\\sqrt{2}+\\sqrt{6}}{2}}",
        6: "\\boxed{640}",
    }

    def choose(row: dict) -> str:
        if row["problem_idx"] == 4:
            return "f(2) = 5, so \\boxed{25}"  # wrong
        return equivalent.get(row["problem_idx"], f"\\boxed{{{row['answer']}}}")

    server = serve(answering(BY_PROBLEM, choose))
    run = run_benchmark(pytester, "hmmt25", server.base_url, f"--llm-data=hmmt25={DATA_DIR}")
    run.result.assert_outcomes(passed=5, failed=1)
    assert [line.split("::")[-1] for line in failure_lines(run)] == [
        "test_hmmt25[4] - Failed: expected 26, got 25"
    ]
    assert run.rows() == [
        ("AveragePass@1", "default", 6, round(5 / 6, 4), 0),
        ("AveragePass@1", "OVERALL", 6, round(5 / 6, 4), 0),
    ]
    record = next(r for r in run.samples() if r["sample_id"] == "2")
    assert (record["passed"], record["extracted"]) == (True, "\\frac{9}{4}\\sqrt{3}")


def test_oracle_answers_score_one(pytester, serve):
    server = serve(answering(BY_PROBLEM, lambda row: f"Thus \\boxed{{{row['answer']}}}."))
    run = run_benchmark(pytester, "hmmt25", server.base_url, f"--llm-data=hmmt25={DATA_DIR}")
    assert run.ret == 0, run.text
    assert run.rows() == [
        ("AveragePass@1", "default", 6, 1.0, 0),
        ("AveragePass@1", "OVERALL", 6, 1.0, 0),
    ]
