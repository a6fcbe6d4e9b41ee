"""AIME 2024 on our own problems in the math-ai/aime24 schema (the answer boxed in `solution`),
and in HuggingFaceH4/aime_2024's (`answer`, with `solution` the written solution)."""

from __future__ import annotations

import json

import pytest

from pytest_llmeval.benchmarks.aime24 import Aime24
from pytest_llmeval.benchmarks.aime25 import PROMPT as AIME25_PROMPT
from tests.conftest import DATA
from tests.scripted_server import Reply
from tests.thin import answering, failure_lines, read_jsonl, run_benchmark

DATA_DIR = DATA / "aime24"
ROWS = read_jsonl(DATA_DIR / "test.jsonl")
BY_PROBLEM = {row["problem"]: row for row in ROWS}


def test_prompt_ids_and_targets():
    samples = Aime24().load(str(DATA_DIR))
    assert [(s.id, s.subset, s.target) for s in samples] == [
        ("60", "default", "23"),
        ("61", "default", "100"),
        ("62", "default", "441"),
        ("63", "default", "9"),
        ("64", "default", "84"),
        ("65", "default", "25"),
    ]
    assert samples[2].messages == [
        {
            "role": "user",
            "content": "Find the remainder when $3^{12}$ is divided by $1000$.\n"
            "Please reason step by step, and put your final answer within \\boxed{}.",
        }
    ]
    assert Aime24.prompt == AIME25_PROMPT  # one prompt for both years
    assert samples[0].meta == {"labels": {"url": "https://example.org/aime24/60"}}


def test_the_huggingfaceh4_copy_reads_answer_not_the_written_solution(tmp_path):
    path = tmp_path / "aime_2024.jsonl"
    rows = [
        {
            "id": row["id"],
            "problem": row["problem"],
            "solution": "A long solution mentioning 7 and \\boxed{7}.",
            "answer": row["solution"].removeprefix("\\boxed{").removesuffix("}"),
            "url": row["url"],
            "year": "2024",
        }
        for row in ROWS
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [s.target for s in Aime24().load(str(path))] == ["23", "100", "441", "9", "84", "25"]


def test_oracle_scores_one_and_wrong_answers_zero(pytester, serve, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def choose(row: dict) -> str | Reply:
        if row["id"] == 62:
            return "3^12 = 531441, so \\boxed{531441}"
        if row["id"] == 63:
            return Reply(text="Not sure.", reasoning="the count is \\boxed{9}")
        return f"Reasoning... the answer is {row['solution']}."

    server = serve(answering(BY_PROBLEM, choose))
    run = run_benchmark(pytester, "aime24", server.base_url, f"--llm-data=aime24={DATA_DIR}")
    run.result.assert_outcomes(passed=4, failed=2)
    assert [line.split("::")[-1] for line in failure_lines(run)] == [
        "test_aime24[62] - Failed: expected 441, got 531441",
        "test_aime24[63] - Failed: no_answer_found",
    ]
    assert run.rows() == [
        ("AveragePass@1", "default", 6, round(4 / 6, 4), 0),
        ("AveragePass@1", "OVERALL", 6, round(4 / 6, 4), 0),
    ]


def test_oracle_alone_scores_one_with_pass_at_k(pytester, serve):
    server = serve(answering(BY_PROBLEM, lambda row: row["solution"]))
    run = run_benchmark(
        pytester, "aime24", server.base_url, f"--llm-data=aime24={DATA_DIR}", "--llm-repeats=2"
    )
    assert run.ret == 0, run.text
    assert run.rows() == [
        ("AveragePass@1", "default", 12, 1.0, 0),
        ("AveragePass@1", "OVERALL", 12, 1.0, 0),
        ("pass@1", "default", 12, 1.0, 0),
        ("pass@1", "OVERALL", 12, 1.0, 0),
        ("pass@2", "default", 12, 1.0, 0),
        ("pass@2", "OVERALL", 12, 1.0, 0),
    ]


@pytest.mark.parametrize("value", ["\\boxed{204}", " 204 ", 204, "\\boxed{ 204 }"])
def test_gold_answers_boxed_or_not(value):
    from pytest_llmeval.benchmarks.common import gold_answer

    assert gold_answer(value) == "204"
