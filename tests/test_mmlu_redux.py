"""MMLU-Redux 2.0: questions annotated as erroneous are left out and counted (by error type and
subject, in the report's data sources), the corrected variant, EvalScope's prompt, MMLU's
categories as Cat.0, scoring through the real HTTP loop. Data: our own questions in the hub's
schema, one file per subject (tests/data/mmlu_redux)."""

from __future__ import annotations

import json

import pytest

from pytest_llmeval.benchmarks.mmlu_redux import CATEGORY, SUBJECTS, MmluRedux
from pytest_llmeval.data import DataError
from tests.bench_run import answering, jsonl, run_benchmark, shown_letter
from tests.conftest import DATA

FOLDER = DATA / "mmlu_redux"
ROWS = {path.stem: jsonl(path) for path in sorted(FOLDER.glob("*.jsonl"))}

EXCLUDED_OK = {
    "keep": "ok",
    "questions_read": 15,
    "excluded": 8,
    "excluded_by_error_type": {
        "bad_options_clarity": 1,
        "bad_question_clarity": 1,
        "expert": 1,
        "multiple_correct_answers": 1,
        "no_correct_answer": 1,
        "wrong_groundtruth": 3,
    },
    "excluded_by_subset": {"abstract_algebra": 2, "high_school_geography": 3, "philosophy": 3},
    "corrected": 0,
}
EXCLUDED_CORRECTED = {
    **EXCLUDED_OK,
    "keep": "corrected",
    "excluded": 6,
    "excluded_by_error_type": {**EXCLUDED_OK["excluded_by_error_type"], "wrong_groundtruth": 1},
    "excluded_by_subset": {"abstract_algebra": 1, "high_school_geography": 2, "philosophy": 3},
    "corrected": 2,
}


def bench(keep: str = "ok") -> MmluRedux:
    return MmluRedux({"llm_mmlu_redux_keep": keep})


def test_the_57_subjects_and_their_categories():
    assert len(SUBJECTS) == 57 and tuple(sorted(SUBJECTS)) == SUBJECTS
    counts = {c: sum(1 for v in CATEGORY.values() if v == c) for c in set(CATEGORY.values())}
    assert counts == {"STEM": 18, "Humanities": 13, "Social Science": 12, "Other": 14}
    assert MmluRedux.hub_configs == {s: s for s in SUBJECTS}
    assert (MmluRedux.hub_path, MmluRedux.hub_split) == ("edinburgh-dawg/mmlu-redux-2.0", "test")


def test_the_prompt_is_evalscopes_zero_shot_cot_template():
    first = bench().load(str(FOLDER))[0]
    assert first.messages[0]["content"] == (
        "Answer the following multiple choice question. The last line of your response should "
        "be of the following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one "
        "of A,B,C,D. Think step by step before answering.\n\n"
        "What is the order of the cyclic group Z_6?\n\nA) 3\nB) 6\nC) 12\nD) 2"
    )
    assert (first.id, first.subset, first.category, first.target) == (
        "abstract_algebra-0",
        "abstract_algebra",
        "STEM",
        "B",
    )
    assert first.meta["labels"] == {"error_type": "ok", "source": "ours", "mmlu_answer": 1}


def test_only_questions_annotated_ok_are_kept_and_the_others_counted():
    redux = bench()
    samples = redux.load(str(FOLDER))
    assert [(s.id, s.target) for s in samples] == [
        ("abstract_algebra-0", "B"),
        ("abstract_algebra-1", "D"),
        ("abstract_algebra-4", "A"),
        ("high_school_geography-0", "C"),
        ("philosophy-0", "B"),
        ("virology-0", "B"),
        ("virology-1", "C"),
    ]
    assert redux.load_notes() == EXCLUDED_OK


def test_corrected_also_keeps_wrong_groundtruth_with_a_usable_correct_answer():
    redux = bench("corrected")
    samples = {s.id: s for s in redux.load(str(FOLDER))}
    assert len(samples) == 9
    # "D" (a letter) and "1" (an index) name options; "Kant" does not and stays out
    assert samples["abstract_algebra-2"].target == "D"
    assert samples["abstract_algebra-2"].meta["labels"]["mmlu_answer"] == 0
    assert samples["high_school_geography-2"].target == "B"
    assert "philosophy-3" not in samples
    assert redux.load_notes() == EXCLUDED_CORRECTED


def test_one_file_whose_rows_name_their_subject(tmp_path):
    rows = [{**row, "subject": s} for s, subject_rows in ROWS.items() for row in subject_rows]
    path = tmp_path / "redux.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [s.id for s in bench().load(str(path))] == [s.id for s in bench().load(str(FOLDER))]
    named = tmp_path / "virology.jsonl"
    named.write_text("".join(json.dumps(r) + "\n" for r in ROWS["virology"]))
    assert [s.id for s in bench().load(str(named))] == ["virology-0", "virology-1"]
    nameless = tmp_path / "mine.jsonl"
    nameless.write_text(named.read_text())
    with pytest.raises(DataError, match="rows name no subject"):
        bench().load(str(nameless))
    path.write_text(json.dumps({**rows[0], "subject": "alchemy"}) + "\n")
    with pytest.raises(DataError, match="unknown subject 'alchemy'"):
        bench().load(str(path))


# -- through the plugin -----------------------------------------------------------------------
def gold_text(prompt: str) -> str:
    """MMLU's gold option (``answer``) of our row the prompt asks."""
    for rows in ROWS.values():
        for row in rows:
            if row["question"] in prompt:
                return row["choices"][row["answer"]]
    raise AssertionError(prompt)


def test_oracle_answers_score_one_and_the_exclusions_are_in_the_report(pytester, serve):
    server = serve(answering(lambda p: f"Reasoning.\nANSWER: {shown_letter(p, gold_text(p))}"))
    run = run_benchmark(pytester, server.base_url, "mmlu_redux")
    assert run.ret == 0, run.text
    run.result.assert_outcomes(passed=7)
    assert run.rows() == [
        ("AverageAccuracy", "abstract_algebra", 3, 1.0, 0),
        ("AverageAccuracy", "high_school_geography", 1, 1.0, 0),
        ("AverageAccuracy", "philosophy", 1, 1.0, 0),
        ("AverageAccuracy", "virology", 2, 1.0, 0),
        ("AverageAccuracy", "OVERALL", 7, 1.0, 0),
    ]
    report = run.report()
    assert [r["category"] for r in report["rows"]] == [
        "STEM",
        "Social Science",
        "Humanities",
        "Other",
        "-",
    ]
    source = report["meta"]["datasets"]["mmlu_redux"]
    assert source["samples"] == 7
    assert {k: source[k] for k in EXCLUDED_OK} == EXCLUDED_OK
    assert len(server.requests) == 7  # the excluded questions are never asked


def test_corrected_scores_wrong_groundtruth_against_the_annotators_answer(pytester, serve):
    # the model gives MMLU's original (wrong) key: right on ok questions, wrong on the two fixed
    server = serve(answering(lambda p: f"ANSWER: {shown_letter(p, gold_text(p))}"))
    run = run_benchmark(pytester, server.base_url, "mmlu_redux", "--llm-mmlu-redux-keep=corrected")
    assert run.ret == 1
    run.result.assert_outcomes(passed=7, failed=2)
    failed = {r["sample_id"]: r["reason"] for r in run.samples() if not r["passed"]}
    assert failed == {
        "abstract_algebra-2": "expected D, got A",
        "high_school_geography-2": "expected B, got A",
    }
    assert run.rows()[-1] == ("AverageAccuracy", "OVERALL", 9, 0.7778, 0)
    source = run.report()["meta"]["datasets"]["mmlu_redux"]
    assert {k: source[k] for k in EXCLUDED_CORRECTED} == EXCLUDED_CORRECTED


def test_wrong_letters_and_replies_without_a_letter_score_zero(pytester, serve):
    def choose(prompt: str) -> str:
        if "influenza" in prompt or "bacteria" in prompt:  # the two virology questions
            return "i am not sure"
        gold = shown_letter(prompt, gold_text(prompt))
        return f"ANSWER: {'A' if gold != 'A' else 'C'}"

    server = serve(answering(choose))
    run = run_benchmark(pytester, server.base_url, "mmlu_redux")
    run.result.assert_outcomes(failed=7)
    reasons = {r["sample_id"]: r["reason"] for r in run.samples()}
    assert reasons["virology-0"] == reasons["virology-1"] == "no_answer_found"
    assert reasons["abstract_algebra-0"] == "expected B, got A"
    assert reasons["abstract_algebra-4"] == "expected A, got C"
    assert run.rows()[-1] == ("AverageAccuracy", "OVERALL", 7, 0.0, 0)
