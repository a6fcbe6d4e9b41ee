"""The LLM-judge scorer: grader prompts, reading judges' replies, SimpleQA metrics."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from pytest_llmeval.scoring.judge import (
    CHINESE_SIMPLEQA_GRADER_TEMPLATE,
    SIMPLEQA_GRADER_TEMPLATE,
    Grade,
    GradeCounts,
    fill_template,
    grade_metrics,
    grader_messages,
    load_template,
    parse_grade,
)

CORRECT, INCORRECT, NOT_ATTEMPTED = Grade.CORRECT, Grade.INCORRECT, Grade.NOT_ATTEMPTED

# ---------------------------------------------------------------- parse_grade

REASONING_THEN_B = (
    "At first glance this looks like A, since the surname matches. But the first name is "
    "wrong, which contradicts the gold target, so the answer is B."
)

REPLY_SHAPES = [
    # bare letters, any case, with punctuation or brackets
    ("A", CORRECT),
    ("B", INCORRECT),
    ("C", NOT_ATTEMPTED),
    ("a", CORRECT),
    ("c", NOT_ATTEMPTED),
    ("  B\n", INCORRECT),
    ("A.", CORRECT),
    ("B)", INCORRECT),
    ("(B)", INCORRECT),
    ("[C]", NOT_ATTEMPTED),
    ("'A'", CORRECT),
    ("`C`", NOT_ATTEMPTED),
    ("B!", INCORRECT),
    # markdown
    ("**C**", NOT_ATTEMPTED),
    ("**B.**", INCORRECT),
    ("__A__", CORRECT),
    ("## B", INCORRECT),
    ("Final answer: **C**", NOT_ATTEMPTED),
    # letter with its label
    ("A: CORRECT", CORRECT),
    ("B: INCORRECT", INCORRECT),
    ("C: NOT_ATTEMPTED", NOT_ATTEMPTED),
    ("B (INCORRECT)", INCORRECT),
    ("CORRECT (A)", CORRECT),
    ("**A** - CORRECT", CORRECT),
    ("B: INCORRECT - the year is wrong", INCORRECT),
    # labelled letters
    ("Grade: B", INCORRECT),
    ("grade: b", INCORRECT),
    ("GRADE: A", CORRECT),
    ("Final grade: C.", NOT_ATTEMPTED),
    ("Verdict - A", CORRECT),
    ("The grade is: B", INCORRECT),
    ("I choose C.", NOT_ATTEMPTED),
    ("I would grade this as B.", INCORRECT),
    # the grade word alone, any case, trailing punctuation
    ("CORRECT", CORRECT),
    ("INCORRECT", INCORRECT),
    ("NOT_ATTEMPTED", NOT_ATTEMPTED),
    ("NOT ATTEMPTED", NOT_ATTEMPTED),
    ("Correct", CORRECT),
    ("Incorrect", INCORRECT),
    ("incorrect.", INCORRECT),
    ("not attempted", NOT_ATTEMPTED),
    ("Not Attempted.", NOT_ATTEMPTED),
    ("not_attempted", NOT_ATTEMPTED),
    ("Not-attempted", NOT_ATTEMPTED),
    ("**Incorrect**", INCORRECT),
    ("Verdict: incorrect", INCORRECT),
    ("Final grade: NOT ATTEMPTED", NOT_ATTEMPTED),
    ("I'd mark it as not attempted.", NOT_ATTEMPTED),
    ("NOT_ATTEMPTED: the model refused to answer.", NOT_ATTEMPTED),
    # reasoning that ends with the grade
    ("The prediction names the right city, so the answer is A", CORRECT),
    ("The predicted year contradicts the gold target, so the answer is B.", INCORRECT),
    ("The model says it does not know, so C.", NOT_ATTEMPTED),
    ("Reasoning: both name Paris.\nGrade: A", CORRECT),
    ("The answer is C because the model refused.", NOT_ATTEMPTED),
    # reasoning that mentions other grades before concluding
    (REASONING_THEN_B, INCORRECT),
    ("Option (A) would need the full year; the prediction gives another one.\n\n**B**", INCORRECT),
    ("CORRECT would require the right year. The year given is wrong.\nGrade: B", INCORRECT),
    ("The answer is B, not A.", INCORRECT),
    ("The grade is B rather than A.", INCORRECT),
    ("A\nB", INCORRECT),
    # an explicit grade outranks grade words used in passing
    ("Grade: B\nThe gold target itself is correct; the prediction is not.", INCORRECT),
    # grade words in prose, when nothing explicit is given
    ("The prediction is incorrect.", INCORRECT),
    ("The predicted answer is correct.", CORRECT),
    ("The question was not attempted by the model.", NOT_ATTEMPTED),
    # JSON, bare or fenced, with extra keys, any key case
    ('{"grade": "A"}', CORRECT),
    ('{"grade": "CORRECT"}', CORRECT),
    ('{"grade": "incorrect", "confidence": 0.9}', INCORRECT),
    ('{"reasoning": "The answer mentions A and CORRECT.", "grade": "C"}', NOT_ATTEMPTED),
    ('{"Grade": "not_attempted"}', NOT_ATTEMPTED),
    ('```json\n{"grade": "B", "reasoning": "it is not A"}\n```', INCORRECT),
    ('Here is my verdict: {"verdict": "A"}', CORRECT),
    # Chinese
    ("【正确】", CORRECT),
    ("【错误】", INCORRECT),
    ("【未尝试】", NOT_ATTEMPTED),
    ("正确", CORRECT),
    ("错误", INCORRECT),
    ("未尝试", NOT_ATTEMPTED),
    ("错误。", INCORRECT),
    ("B：错误", INCORRECT),
    ("A：【正确】", CORRECT),
    ("评定为：【未尝试】", NOT_ATTEMPTED),
    ("评定结果：错误", INCORRECT),
    ("答案：B", INCORRECT),
    ("预测答案与标准答案一致，因此评定为【正确】。", CORRECT),
    ("预测答案给出的年份与标准答案矛盾，结论是错误", INCORRECT),
    ("预测答案是正确的", CORRECT),
    # reasoning blocks are dropped first
    ("<think>It could be A, or maybe C.</think>B", INCORRECT),
    ("<think>\nThe gold target is CORRECT as given.\n</think>\n\n**C**", NOT_ATTEMPTED),
    ("The year matches, so A.</think>\nB", INCORRECT),
]


@pytest.mark.parametrize(("reply", "expected"), REPLY_SHAPES)
def test_parse_grade_reads_the_judges_reply(reply: str, expected: Grade) -> None:
    assert parse_grade(reply) is expected


UNREADABLE_REPLIES = [
    "",
    "   \n",
    "I cannot decide.",
    "asdf qwe zzz",
    "The model attempted an answer.",
    "A careful comparison is needed here.",
    "The answer is a partial match.",
    "The prediction has the correct year but the wrong month.",
    # negated grades are no grades
    "The prediction is not correct.",
    "预测答案不正确",
    "不是正确的",
    # contradictions within one statement
    "A: INCORRECT",
    "B: CORRECT",
    "A. INCORRECT",
    "A：错误",
    "Answer: A or B",
    "A/B",
    "I can't decide between (A) and (B).",
    "I cannot decide whether it is correct or incorrect.",
    "The gold target is correct and the prediction is incorrect.",
    # reasoning only: no verdict after it
    "<think>I lean towards A",
    "<think>A</think>",
    # JSON whose grade field names no grade
    '{"grade": "maybe"}',
    '{"grade": "A or B"}',
]


@pytest.mark.parametrize("reply", UNREADABLE_REPLIES)
def test_parse_grade_returns_none_when_unsure(reply: str) -> None:
    assert parse_grade(reply) is None


def test_incorrect_is_never_read_as_correct_in_any_case() -> None:
    for reply in ("INCORRECT", "incorrect", "Incorrect", "**INCORRECT**", "Grade: incorrect"):
        assert parse_grade(reply) is INCORRECT, reply


def test_not_attempted_is_not_read_as_its_last_word() -> None:
    assert parse_grade("not attempted") is NOT_ATTEMPTED
    assert parse_grade("attempted") is None


def test_json_without_a_grade_key_falls_back_to_the_text() -> None:
    assert parse_grade('{"score": 1}\nGrade: C') is NOT_ATTEMPTED


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("template", [SIMPLEQA_GRADER_TEMPLATE, CHINESE_SIMPLEQA_GRADER_TEMPLATE])
def test_builtin_templates_carry_each_placeholder_once(template: str) -> None:
    for placeholder in ("{question}", "{target}", "{predicted}"):
        assert template.count(placeholder) == 1, placeholder


def test_english_template_names_the_three_grades_and_letters() -> None:
    for text in ("A: CORRECT", "B: INCORRECT", "C: NOT_ATTEMPTED", "single letter"):
        assert text in SIMPLEQA_GRADER_TEMPLATE


def test_chinese_template_names_the_three_grades_and_letters() -> None:
    for text in ("A：【正确】", "B：【错误】", "C：【未尝试】", "只回复一个字母"):
        assert text in CHINESE_SIMPLEQA_GRADER_TEMPLATE


def test_load_template_reads_a_complete_template(tmp_path: Path) -> None:
    path = tmp_path / "grader.txt"
    text = 'Q: {question}\nGold: {target}\nSaid: {predicted}\nReply as {"grade": "A"}.'
    path.write_text(text, encoding="utf-8")
    assert load_template(path) == text


def test_load_template_names_every_missing_placeholder(tmp_path: Path) -> None:
    path = tmp_path / "grader.txt"
    path.write_text("Q: {question}\nReply A, B or C.", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\{target\}, \{predicted\}") as raised:
        load_template(path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


def test_fill_template_keeps_braces_literal_and_does_not_reread_inserted_text() -> None:
    template = 'Q: {question}\nGold: {target}\nSaid: {predicted}\nJSON: {"grade": "A"} {other}'
    filled = fill_template(
        template,
        question="If f(x) = {x | x > 0}, what is {target}?",
        target="{predicted}",
        predicted="{} {0}",
    )
    assert filled == (
        "Q: If f(x) = {x | x > 0}, what is {target}?\n"
        "Gold: {predicted}\n"
        "Said: {} {0}\n"
        'JSON: {"grade": "A"} {other}'
    )


def test_grader_messages_is_one_user_message_with_the_filled_template() -> None:
    messages = grader_messages(
        SIMPLEQA_GRADER_TEMPLATE, "Who wrote Dune?", "Frank Herbert", "Herbert"
    )
    assert len(messages) == 1
    assert messages[0]["role"] == "user"
    content = messages[0]["content"]
    assert "Question: Who wrote Dune?\nGold target: Frank Herbert\nPredicted answer: Herbert\n" in (
        content
    )
    assert "{question}" not in content


# ---------------------------------------------------------------- metrics


def test_metrics_with_nothing_judged_are_all_zero() -> None:
    assert GradeCounts().metrics() == {
        "is_correct": 0.0,
        "is_incorrect": 0.0,
        "is_not_attempted": 0.0,
        "correct_given_attempted": 0.0,
        "f_score": 0.0,
    }


def test_metrics_when_nothing_was_attempted() -> None:
    assert GradeCounts(not_attempted=4).metrics() == {
        "is_correct": 0.0,
        "is_incorrect": 0.0,
        "is_not_attempted": 1.0,
        "correct_given_attempted": 0.0,
        "f_score": 0.0,
    }


def test_metrics_when_all_correct() -> None:
    assert GradeCounts(correct=5).metrics() == {
        "is_correct": 1.0,
        "is_incorrect": 0.0,
        "is_not_attempted": 0.0,
        "correct_given_attempted": 1.0,
        "f_score": 1.0,
    }


def test_metrics_when_all_attempts_wrong() -> None:
    metrics = GradeCounts(incorrect=2, not_attempted=1).metrics()
    assert metrics["correct_given_attempted"] == 0.0
    assert metrics["f_score"] == 0.0
    assert metrics["is_incorrect"] == pytest.approx(2 / 3)


def test_metrics_of_a_mixed_tally_match_hand_computed_fractions() -> None:
    # 3 correct, 1 incorrect, 1 not attempted: is_correct 3/5, correct_given_attempted 3/4,
    # f_score = 2·(3/5)(3/4) / (3/5 + 3/4) = (9/10) / (27/20) = 2/3.
    metrics = GradeCounts(correct=3, incorrect=1, not_attempted=1).metrics()
    expected = {
        "is_correct": Fraction(3, 5),
        "is_incorrect": Fraction(1, 5),
        "is_not_attempted": Fraction(1, 5),
        "correct_given_attempted": Fraction(3, 4),
        "f_score": Fraction(2, 3),
    }
    assert metrics == {name: pytest.approx(float(value)) for name, value in expected.items()}


def test_rates_sum_to_one() -> None:
    metrics = GradeCounts(correct=7, incorrect=2, not_attempted=4).metrics()
    total = metrics["is_correct"] + metrics["is_incorrect"] + metrics["is_not_attempted"]
    assert total == pytest.approx(1.0)


def test_add_tallies_each_grade() -> None:
    counts = GradeCounts()
    for grade in (CORRECT, CORRECT, INCORRECT, NOT_ATTEMPTED, CORRECT):
        counts.add(grade)
    assert counts == GradeCounts(correct=3, incorrect=1, not_attempted=1)
    assert counts.judged == 5


@pytest.mark.parametrize(
    ("grade", "expected"),
    [
        (CORRECT, {"is_correct": 1.0, "is_incorrect": 0.0, "is_not_attempted": 0.0}),
        (INCORRECT, {"is_correct": 0.0, "is_incorrect": 1.0, "is_not_attempted": 0.0}),
        (NOT_ATTEMPTED, {"is_correct": 0.0, "is_incorrect": 0.0, "is_not_attempted": 1.0}),
    ],
)
def test_grade_metrics_are_one_hot(grade: Grade, expected: dict[str, float]) -> None:
    assert grade_metrics(grade) == expected


def test_per_sample_means_reproduce_the_tally_rates() -> None:
    grades = [CORRECT] * 3 + [INCORRECT] * 2 + [NOT_ATTEMPTED] * 2
    counts = GradeCounts()
    for grade in grades:
        counts.add(grade)
    tally = counts.metrics()
    for name in ("is_correct", "is_incorrect", "is_not_attempted"):
        mean = sum(grade_metrics(grade)[name] for grade in grades) / len(grades)
        assert mean == tally[name], name


def test_grade_is_a_string_enum_named_by_the_rubric() -> None:
    assert [grade.value for grade in Grade] == ["CORRECT", "INCORRECT", "NOT_ATTEMPTED"]
    assert Grade("INCORRECT") is INCORRECT
