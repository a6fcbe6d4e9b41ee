"""MATH-500 on our own problems in the hub schema: the prompt, the level and subject subsets,
LaTeX answers checked by math-verify, and whole runs through the scripted server."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

from pytest_llmeval.benchmarks.math_500 import LEVELS, SUBJECTS, Math500, level_name
from pytest_llmeval.data import DataError
from pytest_llmeval.records import Outcome, Response
from tests.conftest import DATA
from tests.scripted_server import Reply
from tests.thin import USAGE_ERROR, answering, failure_lines, read_jsonl, run_benchmark

DATA_DIR = DATA / "math_500"
ROWS = read_jsonl(DATA_DIR / "test.jsonl")
BY_PROBLEM = {row["problem"]: row for row in ROWS}
MODULE = "math_500"


def by_subject() -> Math500:
    return Math500({"llm_math500_subsets": "subject"})


# -- prompt and data ------------------------------------------------------------------------------
def test_the_prompt_is_evalscopes_math_500_template():
    sample = Math500().load(str(DATA_DIR))[0]
    assert sample.messages == [
        {
            "role": "user",
            "content": "What is the value of $x$ if $5x - 3 = 12$?\n"
            "Please reason step by step, and put your final answer within \\boxed{}.",
        }
    ]
    assert (sample.id, sample.subset, sample.target, sample.category) == (
        "algebra-9001",
        "Level 1",
        "3",
        "default",
    )
    assert sample.meta["labels"] == {
        "subject": "Algebra",
        "level": "Level 1",
        "unique_id": "test/algebra/9001.json",
    }


def test_subsets_are_the_five_levels_by_default():
    samples = Math500().load(str(DATA_DIR))
    assert Math500().subsets == ("Level 1", "Level 2", "Level 3", "Level 4", "Level 5")
    assert [s.subset for s in samples] == sorted(s.subset for s in samples)  # in level order
    assert Counter(s.subset for s in samples) == {
        "Level 1": 3,
        "Level 2": 3,
        "Level 3": 3,
        "Level 4": 4,
        "Level 5": 3,
    }
    assert Counter(s.subset for s in samples) == Counter(f"Level {r['level']}" for r in ROWS)


def test_subsets_by_subject_keep_the_same_ids_and_targets():
    levels, subjects = Math500().load(str(DATA_DIR)), by_subject().load(str(DATA_DIR))
    assert by_subject().subsets == SUBJECTS
    assert Counter(s.subset for s in subjects) == Counter(r["subject"] for r in ROWS)
    assert set(Counter(s.subset for s in subjects)) == set(SUBJECTS)  # our data has all seven
    assert {(s.id, s.target, s.messages[0]["content"]) for s in subjects} == {
        (s.id, s.target, s.messages[0]["content"]) for s in levels
    }
    assert by_subject().figures() == (["AveragePass@1"], list(SUBJECTS))
    assert Math500(repeats=3).figures() == (["AveragePass@1", "pass@1", "pass@3"], list(LEVELS))


@pytest.mark.parametrize(
    ("value", "name"), [(3, "Level 3"), ("3", "Level 3"), ("Level 3", "Level 3")]
)
def test_level_values_of_other_copies(value, name):
    assert level_name(value) == name


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_one_file_in_other_formats(tmp_path, suffix):
    path = tmp_path / f"math500{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(ROWS))
    elif suffix == ".csv":
        pd.DataFrame(ROWS).to_csv(path, index=False)  # levels read back as the text "3"
    else:
        pd.DataFrame(ROWS).to_parquet(path)
    loaded = [(s.id, s.subset, s.target) for s in Math500().load(str(path))]
    assert loaded == [(s.id, s.subset, s.target) for s in Math500().load(str(DATA_DIR))]


def test_a_folder_with_one_file_per_level(tmp_path):
    for level in (2, 5):
        rows = [r for r in ROWS if r["level"] == level]
        (tmp_path / f"Level {level}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert Counter(s.subset for s in Math500().load(str(tmp_path))) == {"Level 2": 3, "Level 5": 3}


def test_an_unknown_level_is_a_data_error_not_a_dropped_row(tmp_path):
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps({**ROWS[0], "level": 6}) + "\n")
    with pytest.raises(DataError, match=r"unknown level 'Level 6' \(known: Level 1, .*Level 5\)"):
        Math500().load(str(path))


# -- scoring --------------------------------------------------------------------------------------
SAMPLES = {s.id: s for s in Math500().load(str(DATA_DIR))}


def reply(text: str, reasoning: str = "") -> Outcome:
    return Outcome(responses=[Response(text=text, reasoning=reasoning, finish_reason="stop")])


@pytest.mark.parametrize(
    ("sample_id", "text"),
    [
        ("prealgebra-9003", "So the fraction is \\boxed{\\dfrac{14}{3}}."),
        ("prealgebra-9003", "\\boxed{14/3}"),
        ("precalculus-9002", "\\boxed{\\left( 2, \\pi \\right)}"),
        ("prealgebra-9008", "The youngest is \\boxed{\\text{Cleo}}."),
        ("prealgebra-9008", "\\boxed{Cleo}"),
        ("geometry-9005", "\\boxed{\\sqrt{20}}"),
        ("intermediate_algebra-9007", "\\boxed{3, 2}"),
        ("intermediate_algebra-9010", "$x \\in \\boxed{(-2,2)}$"),
        ("number_theory-9012", "\\boxed{201_3}"),
        ("precalculus-9015", "\\boxed{\\begin{pmatrix}11\\\\4\\end{pmatrix}}"),
        ("geometry-9014", "\\boxed{9 \\pi}"),
    ],
)
def test_equivalent_latex_answers_score_one(sample_id, text):
    verdict = Math500().score(SAMPLES[sample_id], reply(text))
    assert (verdict.passed, verdict.reason, verdict.metrics) == (
        True,
        "correct",
        {"AveragePass@1": 1.0},
    )


@pytest.mark.parametrize(
    ("sample_id", "text", "reason"),
    [
        ("prealgebra-9003", "\\boxed{\\frac{15}{3}}", "expected \\frac{14}{3}, got \\frac{15}{3}"),
        ("precalculus-9002", "\\boxed{(\\pi, 2)}", "expected (2, \\pi), got (\\pi, 2)"),
        ("prealgebra-9008", "\\boxed{\\text{Ana}}", "expected \\text{Cleo}, got \\text{Ana}"),
        ("intermediate_algebra-9010", "\\boxed{[-2, 2]}", "expected (-2, 2), got [-2, 2]"),
        ("algebra-9001", "I cannot solve this.", "no_answer_found"),
    ],
)
def test_wrong_answers_score_zero_for_the_reason(sample_id, text, reason):
    verdict = Math500().score(SAMPLES[sample_id], reply(text))
    assert (verdict.passed, verdict.reason, verdict.metrics) == (
        False,
        reason,
        {"AveragePass@1": 0.0},
    )


def test_the_answer_in_the_reasoning_does_not_count():
    sample = SAMPLES["algebra-9001"]
    assert Math500().score(sample, reply("Hmm.", reasoning="so x = \\boxed{3}")).reason == (
        "no_answer_found"
    )
    assert Math500().score(sample, reply("\\boxed{3}", reasoning="maybe \\boxed{4}")).passed


# -- whole runs through the scripted server --------------------------------------------------------
def solution(row: dict) -> str:
    return row["solution"]  # the worked solution, its answer boxed: what a model writes


def test_oracle_solutions_score_one_in_every_level(pytester, serve):
    server = serve(answering(BY_PROBLEM, solution))
    run = run_benchmark(pytester, MODULE, server.base_url, f"--llm-data=math_500={DATA_DIR}")
    assert run.ret == 0, run.text
    run.result.assert_outcomes(passed=16)
    assert run.rows() == [
        ("AveragePass@1", "Level 1", 3, 1.0, 0),
        ("AveragePass@1", "Level 2", 3, 1.0, 0),
        ("AveragePass@1", "Level 3", 3, 1.0, 0),
        ("AveragePass@1", "Level 4", 4, 1.0, 0),
        ("AveragePass@1", "Level 5", 3, 1.0, 0),
        ("AveragePass@1", "OVERALL", 16, 1.0, 0),
    ]
    assert len(server.requests) == 16
    record = next(r for r in run.samples() if r["sample_id"] == "precalculus-9015")
    assert record["target"] == "\\begin{pmatrix} 11 \\\\ 4 \\end{pmatrix}"
    assert record["labels"]["subject"] == "Precalculus"


def test_wrong_answers_fail_with_their_reason_in_a_run(pytester, serve, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # pytest cuts the FAILED lines to the terminal width
    wrong = {
        "prealgebra-9003": Reply(text="The answer is \\boxed{\\frac{15}{3}}."),
        "prealgebra-9008": Reply(text="\\boxed{\\text{Ana}}"),
        "algebra-9013": Reply(text="I give up.", reasoning="x = 1, y = 2, so \\boxed{(1, 2)}"),
        "geometry-9014": Reply(text="<think>the area is \\boxed{9\\pi}</think>No idea."),
    }

    def choose(row: dict) -> str | Reply:
        sample_id = row["unique_id"].removeprefix("test/").removesuffix(".json").replace("/", "-")
        return wrong.get(sample_id, solution(row))

    server = serve(answering(BY_PROBLEM, choose))
    run = run_benchmark(
        pytester, MODULE, server.base_url, f"--llm-data=math_500={DATA_DIR}", "--llm-limit=3"
    )
    run.result.assert_outcomes(passed=11, failed=4)  # 3 per level
    test = "test_math_500.py::test_math_500"
    assert [line.split("benchmarks/")[-1] for line in failure_lines(run)] == [
        f"{test}[algebra-9013] - Failed: no_answer_found",
        f"{test}[geometry-9014] - Failed: no_answer_found",
        f"{test}[prealgebra-9003] - Failed: expected \\frac{{14}}{{3}}, got \\frac{{15}}{{3}}",
        f"{test}[prealgebra-9008] - Failed: expected \\text{{Cleo}}, got \\text{{Ana}}",
    ]
    assert run.rows() == [
        ("AveragePass@1", "Level 1", 3, round(2 / 3, 4), 0),
        ("AveragePass@1", "Level 2", 3, round(2 / 3, 4), 0),
        ("AveragePass@1", "Level 3", 3, 1.0, 0),
        ("AveragePass@1", "Level 4", 3, 1.0, 0),
        ("AveragePass@1", "Level 5", 3, round(1 / 3, 4), 0),
        ("AveragePass@1", "OVERALL", 15, round(11 / 15, 4), 0),
    ]
    kept = next(r for r in run.samples() if r["sample_id"] == "algebra-9013")
    assert kept["response"]["reasoning"] == "x = 1, y = 2, so \\boxed{(1, 2)}"


def test_subject_subsets_and_pass_at_k_in_a_run(pytester, serve):
    """Two repeats: the first ask of each problem is right, the second only for Algebra and
    Geometry. By subject the rows then read 1.0 or 0.5 (AveragePass@1), pass@2 is 1.0 (which
    repeat is asked first does not matter)."""
    asked: Counter[str] = Counter()

    def choose(row: dict) -> str:
        asked[row["unique_id"]] += 1
        first = asked[row["unique_id"]] == 1
        return solution(row) if first or row["subject"] in ("Algebra", "Geometry") else "\\boxed{0}"

    server = serve(answering(BY_PROBLEM, choose))
    run = run_benchmark(
        pytester,
        MODULE,
        server.base_url,
        f"--llm-data=math_500={DATA_DIR}",
        "--llm-math500-subsets=subject",
        "--llm-repeats=2",
    )
    assert len(server.requests) == 32
    rows = {(metric, subset): (num, score) for metric, subset, num, score, _ in run.rows()}
    for subject in SUBJECTS:
        n = 2 * sum(r["subject"] == subject for r in ROWS)
        right = 1.0 if subject in ("Algebra", "Geometry") else 0.5
        assert rows[("AveragePass@1", subject)] == (n, right)
        assert rows[("pass@1", subject)] == (n, right)
        assert rows[("pass@2", subject)] == (n, 1.0)
    assert rows[("AveragePass@1", "OVERALL")] == (32, round(20 / 32, 4))  # 16 + 4 right
    assert rows[("pass@2", "OVERALL")] == (32, 1.0)
    assert [m for m, s, *_ in run.rows() if s == "OVERALL"] == ["AveragePass@1", "pass@1", "pass@2"]


def test_a_bad_grouping_stops_the_run_with_one_line(pytester, serve):
    server = serve(answering(BY_PROBLEM, solution))
    run = run_benchmark(
        pytester,
        MODULE,
        server.base_url,
        f"--llm-data=math_500={DATA_DIR}",
        "--llm-math500-subsets=topic",
    )
    assert run.ret == USAGE_ERROR
    assert "ERROR: --llm-math500-subsets: expected level or subject, got 'topic'" in run.text
    assert server.requests == []
