"""math-verify under a time bound: answer forms, wrong answers, and a pathological answer."""

from __future__ import annotations

import pytest

from pytest_llmeval.scoring.math import MathVerdict, check_answer


@pytest.mark.parametrize(
    ("answer", "extracted"),
    [
        ("So the answer is \\boxed{70}.", "70"),
        ("\\boxed{070}", "070"),
        ("$\\boxed{70}$", "70"),
        ("\\frac{140}{2}", "\\frac{140}{2}"),
        ("\\boxed{\\dfrac{140}{2}}", "\\frac{140}{2}"),
        ("$70$", "70"),
        ("\\(70\\)", "70"),
        ("The answer is 70.", "70"),
        ("70", "70"),
        ("\\boxed{70.0}", "70.0"),
        ("First 12, so finally \\boxed{70}", "70"),  # the boxed answer wins over later numbers
        ("\\boxed{70} (not 12)", "70"),
    ],
)
def test_forms_of_the_right_answer(answer, extracted):
    assert check_answer(answer, "70") == MathVerdict(True, extracted, "correct")


@pytest.mark.parametrize("gold", ["70", "070", "$70$", "\\boxed{70}", " 70 "])
def test_forms_of_the_gold_answer(gold):
    assert check_answer("\\boxed{70}", gold).correct is True


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("\\boxed{71}", MathVerdict(False, "71", "expected 70, got 71")),
        (
            "\\boxed{\\frac{141}{2}}",
            MathVerdict(False, "\\frac{141}{2}", "expected 70, got \\frac{141}{2}"),
        ),
        ("\\boxed{70}\\boxed{12}", MathVerdict(False, "70,12", "expected 70, got 70,12")),
        ("I do not know.", MathVerdict(False, "", "no_answer_found")),
        ("", MathVerdict(False, "", "no_answer_found")),
    ],
)
def test_wrong_or_missing_answers(answer, verdict):
    assert check_answer(answer, "70") == verdict


def test_a_pathological_answer_times_out_and_the_next_check_works():
    verdict = check_answer("\\boxed{9^{9^{9^{9^{9}}}}}", "70", seconds=1.0)
    assert verdict == MathVerdict(False, "", "timeout")
    assert check_answer("\\boxed{70}", "70") == MathVerdict(True, "70", "correct")
    assert check_answer("\\boxed{71}", "70").reason == "expected 70, got 71"
