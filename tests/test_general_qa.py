"""general_qa: the user's own question/answer rows, no code. Loading and subsets, the messages
sent, and each scorer (exact, math, judge) through the scripted server."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pytest_llmeval.benchmarks.general import GeneralQA, normalise
from pytest_llmeval.data import DataError
from tests.conftest import DATA, last_user_text
from tests.scripted_server import Reply
from tests.thin import USAGE_ERROR, failure_lines, rows_by_key, run_benchmark

DATA_DIR = DATA / "general_qa"
CAPITALS = DATA_DIR / "capitals.jsonl"
ANSWERS = {
    "capital city of Kenya": "Nairobi",
    "capital city of Peru": "Lima",
    "capital of Norway": "Oslo",
    "12 times 12": "144",
    "1/2 + 1/3": "5/6",
    "7 cubed": "343",
}


def qa(scorer: str = "exact") -> GeneralQA:
    return GeneralQA({"llm_general_scorer": scorer})


# -- loading --------------------------------------------------------------------------------------
def test_a_folder_gives_one_subset_per_file_and_each_row_format_its_messages():
    samples = qa().load(str(DATA_DIR))
    assert [(s.id, s.subset, s.target) for s in samples] == [
        ("arithmetic-0", "arithmetic", "144"),
        ("arithmetic-1", "arithmetic", "5/6"),
        ("arithmetic-2", "arithmetic", "343"),
        ("capitals-c1", "capitals", "Nairobi"),
        ("capitals-c2", "capitals", "Lima"),
        ("capitals-c3", "capitals", "Oslo"),
    ]
    system = {"role": "system", "content": "You are a careful calculator."}
    # system + query: the question is sent as it is (EvalScope sends no template either)
    assert samples[0].messages == [
        system,
        {"role": "user", "content": "What is 12 times 12? Reply with the number only."},
    ]
    assert samples[1].messages == [
        {
            "role": "user",
            "content": "What is 1/2 + 1/3? Reply with a fraction in lowest terms only.",
        }
    ]
    # messages: the chat as written; the judge sees its last user turn as the question
    assert samples[2].messages == [
        system,
        {"role": "user", "content": "What is 7 squared?"},
        {"role": "assistant", "content": "49"},
        {"role": "user", "content": "And 7 cubed? Reply with the number only."},
    ]
    assert samples[2].meta["question"] == "And 7 cubed? Reply with the number only."
    assert samples[3].messages == [
        {
            "role": "user",
            "content": "What is the capital city of Kenya? Reply with the city name only.",
        }
    ]


def test_one_file_without_a_subset_column_is_one_subset_named_after_it():
    assert {s.subset for s in qa().load(str(CAPITALS))} == {"capitals"}


@pytest.mark.parametrize("column", ["subset", "category"])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_one_file_whose_rows_name_their_subset(tmp_path, column, suffix):
    rows = [
        {"question": "q1", "answer": "a1", column: "easy"},
        {"question": "q2", "answer": "a2", column: "hard"},
        {"question": "q3", "answer": "a3", column: "easy"},
    ]
    path = tmp_path / f"mine{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        pd.DataFrame(rows).to_parquet(path)
    samples = qa().load(str(path))
    assert [(s.id, s.subset, s.target) for s in samples] == [
        ("easy-0", "easy", "a1"),
        ("easy-1", "easy", "a3"),
        ("hard-0", "hard", "a2"),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"question": "q"}],
            "general_qa mine-0: no answer (looked for answer, response; has question)",
        ),
        (
            [{"answer": "a"}],
            "general_qa mine-0: no question (looked for question, query; has answer)",
        ),
        ([{"question": "q", "answer": "a", "subset": ""}], "row 1 has no subset"),
        ([{"id": 1, "question": "q", "answer": "a"}] * 2, "two rows of subset 'mine' share an id"),
        ([{"messages": "not a chat", "answer": "a"}], "messages must be a list"),
        (
            [{"messages": [{"role": "robot", "content": "hi"}], "answer": "a"}],
            "unknown message role",
        ),
        ([], "no rows"),
    ],
)
def test_bad_rows_are_one_line_data_errors(tmp_path, rows, message):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        qa().load(str(path))


def test_normalised_exact_match():
    assert normalise("  Nairobi \n") == normalise("nairobi") == "nairobi"
    assert normalise("New   York\tCity") == "new york city"
    assert normalise("Nairobi.") != normalise("Nairobi")  # punctuation is part of the answer


# -- runs -----------------------------------------------------------------------------------------
def model_and_judge(answers: dict[str, str], grades: dict[str, str] | None = None):
    """The model answers by question; the judge (model name "judge") grades by the answer."""
    judge_prompts: list[str] = []

    def handler(request: dict) -> Reply:
        text = last_user_text(request)
        if request["model"] == "judge":
            judge_prompts.append(text)
            predicted = text.split("Predicted answer: ", 1)[1].split("\n", 1)[0]
            return Reply(text=(grades or {}).get(predicted, "A"))
        (answer,) = [a for q, a in answers.items() if q in text]
        return Reply(text=answer)

    return handler, judge_prompts


def run(pytester, server, *args: str):
    return run_benchmark(
        pytester, "general_qa", server.base_url, f"--llm-data=general_qa={DATA_DIR}", *args
    )


@pytest.mark.parametrize(
    ("scorer", "args", "subsets"),
    [
        ("exact", (), ("arithmetic", "capitals")),
        ("math", ("-k", "arithmetic"), ("arithmetic",)),  # math-verify reads no city names
        ("judge", ("--llm-judge-model=judge",), ("arithmetic", "capitals")),
    ],
)
def test_oracle_answers_score_one_with_each_scorer(pytester, serve, scorer, args, subsets):
    handler, judge_prompts = model_and_judge(ANSWERS)
    server = serve(handler)
    result = run(pytester, server, f"--llm-general-scorer={scorer}", *args)
    assert result.ret == 0, result.text
    num = 3 * len(subsets)
    assert result.rows() == [
        *[("AverageAccuracy", subset, 3, 1.0, 0) for subset in subsets],
        ("AverageAccuracy", "OVERALL", num, 1.0, 0),
    ]
    assert len(judge_prompts) == (num if scorer == "judge" else 0)


def test_exact_scorer_counts_case_and_spaces_alike_and_names_the_miss(pytester, serve, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    answers = {**ANSWERS, "capital city of Kenya": "  nairobi\n", "capital city of Peru": "Lima."}
    handler, _ = model_and_judge(answers)
    server = serve(handler)
    result = run(pytester, server)  # exact is the default scorer
    result.result.assert_outcomes(passed=5, failed=1)
    assert [line.split("::")[-1] for line in failure_lines(result)] == [
        "test_general_qa[capitals-c2] - Failed: expected 'Lima', got 'Lima.'"
    ]
    assert result.rows() == [
        ("AverageAccuracy", "arithmetic", 3, 1.0, 0),
        ("AverageAccuracy", "capitals", 3, round(2 / 3, 4), 0),
        ("AverageAccuracy", "OVERALL", 6, round(5 / 6, 4), 0),
    ]
    sent = {last_user_text(r): r["messages"] for r in server.requests}
    assert sent["And 7 cubed? Reply with the number only."][2] == {
        "role": "assistant",
        "content": "49",
    }


def test_math_scorer_accepts_equivalent_expressions(pytester, serve):
    answers = {**ANSWERS, "1/2 + 1/3": "It is $\\frac{5}{6}$.", "12 times 12": "12^2 = 144"}
    answers["7 cubed"] = "\\boxed{342}"
    handler, _ = model_and_judge(answers)
    server = serve(handler)
    result = run(pytester, server, "--llm-general-scorer=math", "-k", "arithmetic")
    result.result.assert_outcomes(passed=2, failed=1, deselected=3)
    assert rows_by_key(result)[("AverageAccuracy", "arithmetic")] == (3, round(2 / 3, 4), 0)
    (wrong,) = [r for r in result.samples() if not r["passed"]]
    assert (wrong["sample_id"], wrong["reason"]) == ("arithmetic-2", "expected 343, got 342")
    # the same replies under exact match: none of the three is the answer's bare text
    exact = run(pytester, server, "-k", "arithmetic")
    exact.result.assert_outcomes(failed=3, deselected=3)


def test_judge_scorer_grades_with_simpleqas_rubric(pytester, serve):
    answers = {**ANSWERS, "capital of Norway": "Bergen", "1/2 + 1/3": "I am not sure."}
    handler, judge_prompts = model_and_judge(
        answers, {"Bergen": "B", "I am not sure.": "C", "Lima": "**A**"}
    )
    server = serve(handler)
    result = run(pytester, server, "--llm-general-scorer=judge", "--llm-judge-model=judge")
    result.result.assert_outcomes(passed=4, failed=2)
    assert result.rows() == [
        ("AverageAccuracy", "arithmetic", 3, round(2 / 3, 4), 0),
        ("AverageAccuracy", "capitals", 3, round(2 / 3, 4), 0),
        ("AverageAccuracy", "OVERALL", 6, round(4 / 6, 4), 0),
    ]
    reasons = {r["sample_id"]: (r["reason"], r["extra"]) for r in result.samples()}
    assert reasons["capitals-c3"] == (
        "judge: INCORRECT (gold: Oslo)",
        {"judge_reply": "B", "grade": "INCORRECT"},
    )
    assert reasons["arithmetic-1"][0] == "judge: NOT_ATTEMPTED (gold: 5/6)"
    assert len(judge_prompts) == 6
    (norway,) = [p for p in judge_prompts if "Bergen" in p]
    assert (
        "Question: Which city is the capital of Norway? Reply with the city name only.\n" in norway
    )
    assert "Gold target: Oslo\nPredicted answer: Bergen\n" in norway


def test_judge_errors_and_refusals(pytester, serve):
    handler, judge_prompts = model_and_judge(ANSWERS, {"Lima": "I cannot decide."})

    def with_refusal(request: dict) -> Reply:
        if request["model"] != "judge" and "Norway" in last_user_text(request):
            return Reply(status=400, error="data_inspection_failed: inappropriate content")
        return handler(request)

    server = serve(with_refusal)
    result = run(
        pytester,
        server,
        "--llm-general-scorer=judge",
        "--llm-judge-model=judge",
        "--llm-ignore-errors",
        "-k",
        "capitals",
    )
    result.result.assert_outcomes(passed=1, failed=2, deselected=3)
    records = {r["sample_id"]: r for r in result.samples()}
    assert records["capitals-c2"]["error_kind"] == "judge"  # three unreadable replies
    assert records["capitals-c3"]["reason"] == "refused"  # not judged
    assert sum("Lima" in p for p in judge_prompts) == 3 and not any(
        "Oslo" in p for p in judge_prompts
    )
    assert rows_by_key(result)[("AverageAccuracy", "capitals")] == (3, round(1 / 3, 4), 1)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("--llm-general-scorer=fuzzy",),
            "ERROR: --llm-general-scorer: expected exact or math or judge, got 'fuzzy'",
        ),
        (
            ("--llm-general-scorer=judge",),
            "pytest-llmeval: general_qa is graded by an LLM judge: pass --llm-judge-model "
            "(and --llm-judge-base-url / --llm-judge-api-key if it is elsewhere)",
        ),
    ],
)
def test_bad_options_stop_the_run_with_one_line(pytester, serve, args, line):
    server = serve(lambda request: Reply(text="x"))
    result = run(pytester, server, *args)
    assert result.ret == USAGE_ERROR
    assert line in result.text.splitlines(), result.text
    assert server.requests == []


def test_without_data_it_stops_with_one_line(pytester, serve):
    server = serve(lambda request: Reply(text="x"))
    result = run_benchmark(pytester, "general_qa", server.base_url)
    assert result.ret == USAGE_ERROR
    line = "pytest-llmeval: general_qa: general_qa has no hub copy: pass --llm-data general_qa=PATH"
    assert line in result.text.splitlines()
    assert server.requests == []
