"""Fast math scoring: the fast path gives exactly math-verify's verdict and extracted string,
and the children check for several threads at once.

Thousands of generated replies (boxed integers with spaces, ``$``, leading zeros, ``\\text``,
several boxes, last-expression answers, fractions, negatives, huge numbers, nested braces,
percent signs, junk around the box) go through `fast_verdict` and through the very function the
checking child runs (math-verify itself, here in process); wherever the fast path answers, the
two must be equal, and it must answer for the common forms.
"""

from __future__ import annotations

import logging
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from pytest_llmeval.scoring.math import MathVerdict, _check_in_child, check_answer, fast_verdict

PREFIXES = [
    "", "Let me think step by step.\n", "So $x = 5$ and \\(y = 2\\), ", "We get $$a^2 + b^2$$\n",
    "The answer is ", "The final answer is ", "final answer is $3$. I hope ", "Answer: 12, so ",
    "\\[ x = \\frac{1}{2} \\]\n", " [ 3 ] ", "50% of them, ", "it costs \\$5 ", "5$", "$$", "\\[",
    "\\(", "$x = ", "{", "}", "\\frac{1}{2} ", "12.5 ", "-3 ", "**Final Answer**\n", "\n\n",
    "Thus, ", "1,234 apples ", "$\\{1, 2\\}$ ", "= ", "\\\\", "x \\in [0, 1] ",
    "\\boxed{{3}} ", "$\\boxed{{3}}$ ", "\\fbox{3} ", "\\boxed{} ", "\\boxed ",
]  # fmt: skip
OPENERS = ["", "", "$", "$ ", "$$", "$$\n", "\\[", "\\[\n", "\\(", "\\( ", " [", "\\[ x = "]
CLOSERS = ["", "", "$", " $", "$$", "\n$$", "\\]", "\n\\]", "\\)", " \\)", "] ", "\\] "]
TAILS = [
    "", "", ".", "!", "\n", " ", "\t.", "**", "}", "}}", " = 5", " 12", " 12.", "%", "\\%",
    " percent", " Percent", " pct", " and $\\boxed{3}$", " I hope", " I hope it is correct.",
    ", or 5", " and 7", ". The end.", "\\text{ cm}", "^\\circ", " (mod 1000)", "$.", "$$.",
    "\\]\n", "\\).", ") ", "] .", " \\boxed{12}", " 1/2", " -4", "\n\nDone", " ٧",
]  # fmt: skip
CONTENT_FORMS = [
    "{n}", "{n}", "{n}", " {n} ", "\n{n}\n", "\t{n}", "0{n}", "00{n}", "${n}$", "\\text{{{n}}}",
    "\\mathbf{{{n}}}", "-{n}", "{n}.0", "{n}.5", "\\frac{{{n}}}{{2}}", "{{{n}}}", "{n},000",
    "{n} 000", "{n}\\%", "{n}^\\circ", "x={n}", "{n} \\text{{ cm}}", "", " ", "٧٠", "{n}{n}{n}",
    "{n}\\!", "\\dfrac{{{n}}}{{1}}", "{n}+1", "1{n}", "{big}",
]  # fmt: skip
BOXES = [
    "\\boxed{{{c}}}", "\\boxed{{{c}}}", "\\boxed{{{c}}}", "\\boxed {{{c}}}", "\\fbox{{{c}}}",
    "\\boxed{{{c}}}\\boxed{{{c}}}", "\\boxed{{{c}}} and \\boxed{{12}}", "\\boxed{{{c}",
    "\\boxed{{\\boxed{{{c}}}}}", "{c}", "the answer is {c}",
]  # fmt: skip


PERCENTS = ["%", "\\%", " %", " percent", "pct", " Percentage"]


def golds(rng: random.Random, n: int) -> list[str]:
    return [
        str(n), str(n), str(n), str(n + 1), str(rng.randrange(1000)), f"0{n}", f" {n} ", f"${n}$",
        f"\\boxed{{{n}}}", f"{n}.0", "1/2", str(10**7 + n), "0", "-5", str(n // 100),
    ]  # fmt: skip


def reply(rng: random.Random) -> tuple[str, str]:
    """A generated reply and a gold answer, often the same integer; half of the replies are of
    the common form (one box holding an integer), the rest anything."""
    n = rng.choice([0, 1, 7, 70, 100, 204, 500, 999, rng.randrange(1000), rng.randrange(10**6)])
    big = str(rng.randrange(10**6, 10**20))
    common = rng.random() < 0.5
    content = rng.choice(CONTENT_FORMS[:8] if common else CONTENT_FORMS).format(n=n, big=big)
    box = rng.choice(BOXES[:1] if common else BOXES).format(c=content)
    pair = rng.randrange(len(OPENERS))
    opener = OPENERS[pair]
    closer = CLOSERS[pair] if rng.random() < 0.6 else rng.choice(CLOSERS)
    prefix = "".join(rng.choice(PREFIXES) for _ in range(rng.randrange(4)))
    tail = "".join(rng.choice(TAILS) for _ in range(rng.randrange(3)))
    if rng.random() < 0.2:  # a percent sign or word: 100% is 1 as well
        tail = rng.choice(["", " "]) + rng.choice(PERCENTS) + tail
    gold = rng.choice([*golds(rng, n)[:5], str(n // 100)] if common else golds(rng, n))
    return prefix + opener + box + closer + tail, gold


@pytest.fixture(scope="module", autouse=True)
def quiet_math_verify():
    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout disabled" notices


def test_generated_replies_fast_path_equals_math_verify():
    rng = random.Random(20251201)
    answered = 0
    mismatches = []
    seen = set()
    while answered < 2500 and len(seen) < 50_000:
        answer, gold = reply(rng)
        if (answer, gold) in seen:
            continue
        seen.add((answer, gold))
        fast = fast_verdict(answer, gold)
        if fast is None:
            continue
        answered += 1
        slow = MathVerdict(*_check_in_child(answer, gold))
        if fast != slow:
            mismatches.append((answer, gold, fast, slow))
    assert mismatches == []
    assert answered == 2500  # the fast path does answer for a good share of them
    assert len(seen) > 5000  # and declines many others


@pytest.mark.parametrize(
    ("answer", "gold", "verdict"),
    [
        ("So \\boxed{70}.", "70", MathVerdict(True, "70", "correct")),
        ("$\\boxed{ 070 }$", "70", MathVerdict(True, "070", "correct")),
        ("\\[\n\\boxed{204}\n\\]", "204", MathVerdict(True, "204", "correct")),
        ("$x = \\boxed{71}$.", "70", MathVerdict(False, "71", "expected 70, got 71")),
        ("\\boxed{0}", " 00 ", MathVerdict(True, "0", "correct")),
        ("final answer is $7$. I hope \\boxed{70}", "70", MathVerdict(True, "70", "correct")),
    ],
)
def test_common_forms_take_the_fast_path(answer, gold, verdict):
    assert fast_verdict(answer, gold) == verdict
    assert MathVerdict(*_check_in_child(answer, gold)) == verdict


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("$\\boxed{100}$%", "1"),  # a percent after the box: 100% equals 1 too
        ("$\\boxed{100}$ percent", "1"),
        ("\\boxed{70} and \\boxed{12}", "70"),  # several boxes: a set, or the last
        ("\\fbox{70}", "70"),
        ("\\boxed{\\text{70}}", "70"),
        ("\\boxed{-70}", "-70"),
        ("\\boxed{1234567}", "1234567"),  # past six digits: left to math-verify
        ("The answer is 70.", "70"),
        ("\\boxed{70}", "$70$"),
    ],
)
def test_other_forms_are_left_to_math_verify(answer, gold):
    assert fast_verdict(answer, gold) is None
    assert check_answer(answer, gold) == MathVerdict(*_check_in_child(answer, gold))


def test_checks_from_several_threads_each_get_their_verdict_one_hanging():
    """The children serve several threads at once; a check that overruns is killed alone."""
    answers = ["\\boxed{9^{9^{9^{9^{9}}}}}"] + [f"So it is {n}." for n in range(68, 74)]
    with ThreadPoolExecutor(3) as threads:
        verdicts = list(threads.map(lambda a: check_answer(a, "70", seconds=3.0), answers))
    assert verdicts[0] == MathVerdict(False, "", "timeout")
    assert verdicts[1:] == [
        MathVerdict(n == 70, str(n), "correct" if n == 70 else f"expected 70, got {n}")
        for n in range(68, 74)
    ]
    assert check_answer("The answer is 70.", "70") == MathVerdict(True, "70", "correct")


@pytest.mark.parametrize(
    ("reply", "ahead"),
    [("So $\\boxed{455}$.", False), ("So $\\boxed{45}$.", False), ("So 455.", True),
     ("$\\boxed{\\frac{1}{2}}$", True), ("", True)],
)  # fmt: skip
def test_a_math_sample_goes_to_a_scoring_thread_only_when_math_verify_must_check_it(reply, ahead):
    """The fast path is scored in the test body: the hop to a thread costs more than it."""
    from pytest_llmeval.benchmarks.aime25 import Aime25
    from pytest_llmeval.records import Outcome, Response, Sample

    sample = Sample("AIME2025-I-0", "aime25", "AIME2025-I", [], "455")
    outcome = Outcome(responses=[Response(text=reply)])
    assert Aime25({}, 1).score_ahead(sample, outcome) is ahead
