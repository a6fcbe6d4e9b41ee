"""AIME 2025: loading every layout of the data, scoring, pass@k, repeats and refusals in a run."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pytest_llmeval.benchmarks.aime25 import PROMPT, Aime25, pass_at_k
from pytest_llmeval.data import DataError
from pytest_llmeval.records import Outcome, Response, Sample, SampleRecord
from tests.conftest import (
    AIME_DATA,
    BENCH_MODULE,
    aime_handler,
    aime_problem,
    aime_rows,
    last_user_text,
)
from tests.scripted_server import Reply

SUBSETS = ("AIME2025-I", "AIME2025-II")


def aime(repeats: int = 1) -> Aime25:
    return Aime25(repeats=repeats)


def as_tuples(samples: list[Sample]) -> list[tuple[str, str, str, str]]:
    """(id, subset, question, target) of each sample."""
    suffix = PROMPT.format(question="")
    return [
        (s.id, s.subset, s.messages[0]["content"].removesuffix(suffix), s.target) for s in samples
    ]


ROWS = aime_rows()
EXPECTED = [
    (f"{subset}-{i}", subset, row["question"], row["answer"])
    for subset in SUBSETS
    for i, row in enumerate(ROWS[subset])
]


def all_rows(with_subset: bool = False) -> list[dict[str, str]]:
    return [
        {**row, **({"subset": subset} if with_subset else {})}
        for subset in SUBSETS
        for row in ROWS[subset]
    ]


# -- loading --------------------------------------------------------------------------------------
def test_folder_with_one_file_per_subset():
    samples = aime().load(str(AIME_DATA))
    assert as_tuples(samples) == EXPECTED
    first = samples[0]
    assert (first.dataset, first.category, first.tools) == ("aime25", "default", None)
    assert first.messages == [
        {
            "role": "user",
            "content": "What is the remainder when $2^{10}$ is divided by $1000$?\n"
            "Please reason step by step, and put your final answer within \\boxed{}.",
        }
    ]


def test_subset_file_names_match_case_insensitively(tmp_path):
    shutil.copy(AIME_DATA / "AIME2025-I.jsonl", tmp_path / "aime2025-i.jsonl")
    shutil.copy(AIME_DATA / "AIME2025-II.jsonl", tmp_path / "Aime2025-II.JSONL")
    (tmp_path / "README.md").write_text("not data")
    assert as_tuples(aime().load(str(tmp_path))) == EXPECTED


def test_a_folder_with_one_subset_loads_that_subset(tmp_path):
    shutil.copy(AIME_DATA / "AIME2025-II.jsonl", tmp_path / "AIME2025-II.jsonl")
    assert as_tuples(aime().load(str(tmp_path))) == EXPECTED[15:]


def write(path: Path, rows: list[dict]) -> Path:
    suffix = path.suffix
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    elif suffix == ".json":
        path.write_text(json.dumps(rows))
    elif suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    elif suffix == ".parquet":
        pd.DataFrame(rows).to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_one_file_of_thirty_rows_is_part_one_then_part_two(tmp_path, suffix):
    path = write(tmp_path / f"aime2025{suffix}", all_rows())
    assert as_tuples(aime().load(str(path))) == EXPECTED


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_one_file_whose_rows_name_their_subset(tmp_path, suffix):
    rows = all_rows(with_subset=True)
    rows = rows[15:20] + rows[:15] + rows[20:]  # the order of parts does not matter
    path = write(tmp_path / f"mixed{suffix}", rows)
    assert as_tuples(aime().load(str(path))) == EXPECTED


def test_json_file_with_one_object_per_line(tmp_path):
    path = tmp_path / "aime.json"
    path.write_text("\n".join(json.dumps(row) for row in all_rows()) + "\n")
    assert as_tuples(aime().load(str(path))) == EXPECTED


def test_one_file_named_after_its_subset(tmp_path):
    path = write(tmp_path / "aime2025-ii.json", ROWS["AIME2025-II"])
    assert as_tuples(aime().load(str(path))) == EXPECTED[15:]


@pytest.mark.parametrize(
    ("question", "answer"), [("problem", "answer"), ("Problem", "Answer"), ("question", "solution")]
)
def test_field_names_of_other_copies(tmp_path, question, answer):
    rows = [{question: row["question"], answer: row["answer"], "id": 7} for row in all_rows()]
    path = write(tmp_path / "math-ai-aime25.jsonl", rows)
    assert as_tuples(aime().load(str(path))) == EXPECTED


def test_numeric_answers_become_text(tmp_path):
    rows = [{"problem": row["question"], "answer": int(row["answer"])} for row in all_rows()]
    for suffix in (".jsonl", ".parquet"):
        assert as_tuples(aime().load(str(write(tmp_path / f"n{suffix}", rows)))) == EXPECTED


def test_csv_keeps_leading_zeros(tmp_path):
    path = write(tmp_path / "AIME2025-I.csv", [{"question": "q", "answer": "070"}])
    assert [s.target for s in aime().load(str(path))] == ["070"]


def test_a_file_that_cannot_be_split_is_a_data_error(tmp_path):
    path = write(tmp_path / "aime.jsonl", all_rows()[:29])
    with pytest.raises(DataError) as raised:
        aime().load(str(path))
    assert str(raised.value) == (
        f"{path}: cannot tell AIME2025-I from AIME2025-II rows (a folder with AIME2025-I.jsonl "
        "and AIME2025-II.jsonl (fields question, answer))"
    )


# -- scoring --------------------------------------------------------------------------------------
def outcome(text: str, finish_reason: str = "stop") -> Outcome:
    return Outcome(responses=[Response(text=text, finish_reason=finish_reason)])


SAMPLE = aime().load(str(AIME_DATA))[5]  # answer 180


@pytest.mark.parametrize(
    "text",
    [
        "So the answer is \\boxed{180}.",
        "\\boxed{0180}",
        "$180$",
        "The answer is 180.",
        "\\boxed{\\frac{360}{2}}",
        "first 12, then \\boxed{180}",
    ],
)
def test_right_answers_score_one(text):
    verdict = aime().score(SAMPLE, outcome(text))
    assert (verdict.passed, verdict.reason, verdict.metrics) == (
        True,
        "correct",
        {"AveragePass@1": 1.0},
    )


@pytest.mark.parametrize(
    ("text", "reason", "extracted"),
    [
        ("\\boxed{181}", "expected 180, got 181", "181"),
        ("I cannot solve this.", "no_answer_found", ""),
        ("", "no_answer_found", ""),
    ],
)
def test_wrong_answers_score_zero(text, reason, extracted):
    verdict = aime().score(SAMPLE, outcome(text))
    assert (verdict.passed, verdict.reason, verdict.extracted) == (False, reason, extracted)
    assert verdict.metrics == {"AveragePass@1": 0.0}


def test_a_refusal_scores_zero_tagged_refused():
    verdict = aime().verdict(SAMPLE, outcome("", "content_filter"))
    assert (verdict.passed, verdict.reason, verdict.tags) == (False, "refused", ["refused"])
    assert verdict.metrics == {"AveragePass@1": 0.0}


# -- pass@k ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (3, 1, 1, 1 / 3),
        (3, 2, 1, 2 / 3),
        (3, 0, 3, 0.0),
        (3, 1, 3, 1.0),
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (16, 0, 8, 0.0),
    ],
)
def test_pass_at_k_is_the_unbiased_estimator(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_aggregate_over_repeats():
    records = [
        SampleRecord(
            "aime25", "AIME2025-I", sample, passed=passed, metrics={"AveragePass@1": float(passed)}
        )
        for sample, results in {"a": [1, 0, 0], "b": [1, 1, 1], "c": [0, 0, 0]}.items()
        for passed in map(bool, results)
    ]
    values = aime(repeats=3).aggregate(records)
    assert values == pytest.approx({"AveragePass@1": 4 / 9, "pass@1": 4 / 9, "pass@3": 2 / 3})
    assert aime().aggregate(records[:1]) == {"AveragePass@1": 1.0}


def test_figures_name_pass_at_k_only_with_repeats():
    assert aime().figures() == (["AveragePass@1"], list(SUBSETS))
    assert aime(repeats=4).figures() == (["AveragePass@1", "pass@1", "pass@4"], list(SUBSETS))


# -- in a run -------------------------------------------------------------------------------------
def right_so_many_times():
    """The n-th ask of a problem is answered right while n < c; c = index % 4 in part I,
    (index + 1) % 4 in part II."""
    asked: Counter[str] = Counter()

    def choose(subset: str, index: int, gold: str) -> str:
        key = f"{subset}-{index}"
        asked[key] += 1
        right = index % 4 if subset == "AIME2025-I" else (index + 1) % 4
        return gold if asked[key] <= right else "999"

    return aime_handler(choose)


def test_repeats_give_pass_at_k_rows(serve, llmeval):
    server = serve(right_so_many_times())
    run = llmeval(server.base_url, "--llm-repeats=3")
    assert len(server.requests) == 90
    assert Counter(Counter(last_user_text(r) for r in server.requests).values()) == {3: 30}
    # part I: right 21 of 45 times, 11 of 15 at least once; part II: 24 of 45, 12 of 15
    assert run.rows() == [
        ("AveragePass@1", "AIME2025-I", 45, 0.4667, 0),
        ("AveragePass@1", "AIME2025-II", 45, 0.5333, 0),
        ("AveragePass@1", "OVERALL", 90, 0.5, 0),
        ("pass@1", "AIME2025-I", 45, 0.4667, 0),
        ("pass@1", "AIME2025-II", 45, 0.5333, 0),
        ("pass@1", "OVERALL", 90, 0.5, 0),
        ("pass@3", "AIME2025-I", 45, 0.7333, 0),
        ("pass@3", "AIME2025-II", 45, 0.8, 0),
        ("pass@3", "OVERALL", 90, 0.7667, 0),
    ]
    table = run.table().splitlines()
    assert table[3].split("|")[3:9] == [
        " AveragePass@1 ",
        " AIME2025-I  ",
        "    45 ",
        " 0.4667 ±0.175 ",  # clustered by problem: 15 clusters of 3 repeats
        " default ",
        "        0 ",
    ]
    assert table[-2].split("|")[3:9] == [
        " pass@3        ",
        " OVERALL     ",
        "    90 ",
        " 0.7667 ±0.146 ",  # Wilson on the 30 problems (each solved within 3 tries or not)
        " -       ",
        "        0 ",
    ]
    assert len(run.samples()) == 90


def test_a_refusal_is_a_wrong_answer_not_an_error(serve, llmeval, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def choose(subset: str, index: int, gold: str) -> str | Reply:
        if (subset, index) == ("AIME2025-I", 1):
            return Reply(status=400, error="data_inspection_failed: inappropriate content")
        return gold

    server = serve(aime_handler(choose))
    run = llmeval(server.base_url, "--llm-limit=2", "--llm-ignore-errors")
    assert run.ret == 1
    run.result.assert_outcomes(passed=3, failed=1)
    failed = f"FAILED {BENCH_MODULE}.py::test_aime25[AIME2025-I-1] - Failed: refused"
    assert failed in run.result.outlines
    (refused,) = [r for r in run.samples() if r["sample_id"] == "AIME2025-I-1"]
    assert (refused["error"], refused["scored"], refused["tags"]) == (None, True, ["refused"])
    assert refused["response"]["finish_reason"] == "content_filter"
    assert run.rows() == [
        ("AveragePass@1", "AIME2025-I", 2, 0.5, 0),
        ("AveragePass@1", "AIME2025-II", 2, 1.0, 0),
        ("AveragePass@1", "OVERALL", 4, 0.75, 0),
    ]
    assert sorted(aime_problem(r)[:2] for r in server.requests) == [
        ("AIME2025-I", 0),
        ("AIME2025-I", 1),  # asked once: a refusal is not retried
        ("AIME2025-II", 0),
        ("AIME2025-II", 1),
    ]


def test_an_answer_that_hangs_math_verify_is_one_timeout_and_the_rest_are_scored(serve, llmeval):
    """Scored ahead, beside the calls: the hanging check is killed at its bound, the others
    (right in part I, wrong in part II) get their verdicts."""

    def choose(subset: str, index: int, gold: str) -> str:
        if (subset, index) == ("AIME2025-I", 1):
            return "9^{9^{9^{9^{9}}}}"
        return gold if subset == "AIME2025-I" else str(int(gold) + 1)

    server = serve(aime_handler(choose))
    run = llmeval(server.base_url, "--llm-limit=3", "--llm-concurrency=6")
    run.result.assert_outcomes(passed=2, failed=4)
    records = {r["sample_id"]: r for r in run.samples()}
    assert (records["AIME2025-I-1"]["reason"], records["AIME2025-I-1"]["error"]) == (
        "timeout",
        None,
    )
    assert [records[f"AIME2025-I-{i}"]["passed"] for i in (0, 2)] == [True, True]
    assert [records[f"AIME2025-II-{i}"]["extracted"] for i in range(3)] == [
        str(int(ROWS["AIME2025-II"][i]["answer"]) + 1) for i in range(3)
    ]
