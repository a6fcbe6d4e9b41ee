"""general_mcq: the user's own multiple-choice rows, no code. EvalScope's folder layout, options
as a list or as A/B/C/D columns, EvalScope's prompt, and the letter scorer in a run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pytest_llmeval.benchmarks.general import GeneralMCQ
from pytest_llmeval.data import DataError
from tests.conftest import DATA, last_user_text
from tests.scripted_server import Reply
from tests.thin import USAGE_ERROR, failure_lines, run_benchmark

DATA_DIR = DATA / "general_mcq"

# EvalScope's general_mcq prompt (CHINESE_SINGLE_ANSWER_TEMPLATE), filled in by hand
SCIENCE_1 = (
    "回答下面的单项选择题，请选出其中的正确答案。你的回答的全部内容应该是这样的格式："
    '"答案：[LETTER]"（不带引号），其中 [LETTER] 是 A,B,C,D 中的一个。\n'
    "\n"
    "问题：Which gas do green plants take in from the air to make sugar?\n"
    "选项：\n"
    "A) Oxygen\n"
    "B) Nitrogen\n"
    "C) Carbon dioxide\n"
    "D) Helium\n"
)
LOGIC_2_OPTIONS = "选项：\nA) 18\nB) 24\nC) 30\nD) 32\nE) 64\n"


def mcq_rows(tmp_path, rows: list[dict], name: str = "quiz.jsonl"):
    path = tmp_path / name
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    elif path.suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        pd.DataFrame(rows).to_parquet(path)
    return GeneralMCQ().load(str(path))


# -- loading and prompt ---------------------------------------------------------------------------
def test_evalscopes_folder_layout_columns_and_lists():
    samples = GeneralMCQ().load(str(DATA_DIR))
    assert [(s.id, s.subset, s.target, len(s.meta["options"])) for s in samples] == [
        ("logic-l1", "logic", "A", 3),
        ("logic-l2", "logic", "D", 5),
        ("logic-l3", "logic", "C", 3),
        ("science-1", "science", "C", 4),  # science_val.csv; science_dev.csv is not evaluated
        ("science-2", "science", "B", 4),
        ("science-3", "science", "A", 4),
    ]
    science = {s.id: s for s in samples}["science-1"]
    assert science.messages == [{"role": "user", "content": SCIENCE_1}]
    logic = {s.id: s for s in samples}["logic-l2"].messages[0]["content"]
    assert "其中 [LETTER] 是 A,B,C,D,E 中的一个。" in logic
    assert logic.endswith("问题：Which number comes next: 2, 4, 8, 16, ...?\n" + LOGIC_2_OPTIONS)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_option_columns_stop_at_the_first_missing_letter(tmp_path, suffix):
    rows = [
        {"question": "two", "A": "yes", "B": "no", "C": None, "answer": "b"},
        {"question": "three", "A": "x", "B": "y", "C": "z", "answer": "C"},
    ]
    samples = mcq_rows(tmp_path, rows, f"quiz{suffix}")
    assert [(s.meta["options"], s.target) for s in samples] == [
        (["yes", "no"], "B"),
        (["x", "y", "z"], "C"),
    ]


@pytest.mark.parametrize(
    ("options", "suffix"),
    [
        (["red", "green", "blue"], ".jsonl"),
        (["red", "green", "blue"], ".parquet"),
        ('["red", "green", "blue"]', ".csv"),  # a JSON list in a cell
        ("['red', 'green', 'blue']", ".csv"),  # a Python list in a cell
    ],
)
def test_options_as_a_list(tmp_path, options, suffix):
    (sample,) = mcq_rows(
        tmp_path, [{"question": "q", "options": options, "answer": "C"}], f"q{suffix}"
    )
    assert sample.meta["options"] == ["red", "green", "blue"]
    assert sample.messages[0]["content"].endswith("选项：\nA) red\nB) green\nC) blue\n")


def test_subsets_from_a_column_of_one_file(tmp_path):
    rows = [
        {"id": 1, "category": "Biology", "question": "q1", "A": "a", "B": "b", "answer": "A"},
        {"id": 2, "category": "Physics", "question": "q2", "A": "a", "B": "b", "answer": "B"},
        {"id": 3, "category": "Biology", "question": "q3", "A": "a", "B": "b", "answer": "B"},
    ]
    samples = mcq_rows(tmp_path, rows)
    assert [(s.id, s.subset) for s in samples] == [
        ("Biology-1", "Biology"),
        ("Biology-3", "Biology"),
        ("Physics-2", "Physics"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"question": "q", "A": "a", "B": "b", "answer": "C"}, "answer 'C' is not one of its 2"),
        ({"question": "q", "A": "a", "B": "b", "answer": "AB"}, "answer 'AB' is not one of"),
        ({"question": "q", "A": "a", "answer": "A"}, "1 options (2 to 10"),
        ({"question": "q", "options": "red, green", "answer": "A"}, "options must be a list"),
        ({"A": "a", "B": "b", "answer": "A"}, "no question"),
    ],
)
def test_bad_rows_are_one_line_data_errors(tmp_path, row, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        mcq_rows(tmp_path, [row])


# -- runs -----------------------------------------------------------------------------------------
GOLD = {
    "Which gas do green plants": "C",
    "How many legs does an insect": "B",
    "chemical symbol of sodium": "A",
    "are all bloops lazzies": "A",
    "Which number comes next": "D",
    "Who is the shortest": "C",
}


def replying(choose):
    def handler(request: dict) -> Reply:
        text = last_user_text(request)
        ((key, gold),) = [(q, g) for q, g in GOLD.items() if q in text]
        return Reply(text=choose(key, gold))

    return handler


def test_oracle_letters_score_one(pytester, serve):
    server = serve(replying(lambda key, gold: f"答案：{gold}"))
    run = run_benchmark(
        pytester, "general_mcq", server.base_url, f"--llm-data=general_mcq={DATA_DIR}"
    )
    assert run.ret == 0, run.text
    assert run.rows() == [
        ("AverageAccuracy", "logic", 3, 1.0, 0),
        ("AverageAccuracy", "science", 3, 1.0, 0),
        ("AverageAccuracy", "OVERALL", 6, 1.0, 0),
    ]
    assert len(server.requests) == 6  # the _dev file's question is never asked


def test_wrong_and_missing_letters_score_zero(pytester, serve, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    replies = {
        "Which gas do green plants": "答案：B",
        "Which number comes next": "The pattern doubles, so the answer is (E).",
        "Who is the shortest": "Ann is the shortest.",
        "chemical symbol of sodium": "**A**",
    }
    server = serve(replying(lambda key, gold: replies.get(key, f"ANSWER: {gold}")))
    run = run_benchmark(
        pytester, "general_mcq", server.base_url, f"--llm-data=general_mcq={DATA_DIR}"
    )
    run.result.assert_outcomes(passed=3, failed=3)
    assert [line.split("::")[-1] for line in failure_lines(run)] == [
        "test_general_mcq[logic-l2] - Failed: expected D, got E",
        "test_general_mcq[logic-l3] - Failed: no_answer_found",
        "test_general_mcq[science-1] - Failed: expected C, got B",
    ]
    assert run.rows() == [
        ("AverageAccuracy", "logic", 3, round(1 / 3, 4), 0),
        ("AverageAccuracy", "science", 3, round(2 / 3, 4), 0),
        ("AverageAccuracy", "OVERALL", 6, 0.5, 0),
    ]


def test_without_data_it_stops_with_one_line(pytester, serve):
    server = serve(lambda request: Reply(text="A"))
    run = run_benchmark(pytester, "general_mcq", server.base_url)
    assert run.ret == USAGE_ERROR
    line = (
        "pytest-llmeval: general_mcq: general_mcq has no hub copy: pass --llm-data general_mcq=PATH"
    )
    assert line in run.text.splitlines()
    assert server.requests == []


def test_a_threshold_on_overall_gates_the_run(pytester, serve):
    server = serve(replying(lambda key, gold: "答案：A"))  # right for 2 of 6
    args = (f"--llm-data=general_mcq={DATA_DIR}", "--llm-threshold=general_mcq=0.3")
    run = run_benchmark(pytester, "general_mcq", server.base_url, *args)
    assert run.ret == 0, run.text  # 0.3333 >= 0.3: wrong answers alone do not fail a gated run
    run = run_benchmark(
        pytester, "general_mcq", server.base_url, args[0], "--llm-threshold=general_mcq=0.5"
    )
    assert run.ret == 1
    assert "  general_mcq AverageAccuracy OVERALL: 0.3333 < threshold 0.5" in run.result.outlines
