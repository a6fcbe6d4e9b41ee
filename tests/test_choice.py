"""Multiple-choice letters: the reply shapes models produce, no-letter replies, GPQA's shuffle."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys

import pytest

from pytest_llmeval.scoring.choice import (
    ChoiceVerdict,
    extract_choice,
    score_choice,
    shuffle_options,
)

LONG_REASONING = (
    "Let's go through the options. A is wrong because the rate doubles, and B ignores friction. "
    "Option (D) would hold only at 0 K, and E, F and G assume an ideal gas. H is a distractor; "
    "I checked J twice and it overcounts. What remains fits the data, so the best option here is "
    "C."
)

SHAPES = [
    # MMLU-Pro's "answer is" statement and its variants
    ("The answer is (C)", "C"),
    ("The answer is (C).", "C"),
    ("answer is C", "C"),
    ("So the correct answer is option C.", "C"),
    ("The answer is: C) 42", "C"),
    ("Therefore, the final answer is: **C) 42**", "C"),
    ("The correct option is [C]", "C"),
    # "Answer:" labels
    ("Answer: C.", "C"),
    ("Answer: C", "C"),
    ("**Answer:** C", "C"),
    ("Final Answer: (C)", "C"),
    ("ANSWER: C", "C"),
    ("Answer:\nC", "C"),
    # the reply's own shape
    ("**C**", "C"),
    ("C", "C"),
    ("C.", "C"),
    ("(C)", "C"),
    ("(C) 42", "C"),
    ("C) 42", "C"),
    ("C. 42", "C"),
    ("Option C", "C"),
    ("`C`", "C"),
    ("C\n\nExplanation: unlike option A, it keeps the charge.", "C"),
    # Chinese and full-width forms
    ("答案：C", "C"),
    ("答案: C", "C"),
    ("答案是C", "C"),
    ("答案是：C。", "C"),
    ("所以答案为 D。", "D"),
    ("正确答案应该是B", "B"),
    ("故选C", "C"),
    ("答案：（Ｃ）", "C"),
    ("Ｃ", "C"),
    # boxed
    ("\\boxed{C}", "C"),
    ("$\\boxed{C}$", "C"),
    ("Thus \\(\\boxed{\\text{C}}\\).", "C"),
    ("\\boxed{(C)}", "C"),
    ("\\boxed{C. 42}", "C"),
    # lowercase where it cannot be a word
    ("c", "C"),
    ("c.", "C"),
    ("(c) 42", "C"),
    ("option c", "C"),
    ("the answer is (c).", "C"),
    ("the answer is c", "C"),
    ("Answer: c", "C"),
    ("\\boxed{c}", "C"),
    # a letter at the end of a long reasoning: the earlier letters do not win
    (LONG_REASONING, "C"),
    ("After weighing A against B, the answer is (D). Answer B only works in vacuum.", "D"),
    (LONG_REASONING + " Answer: D", "D"),  # the label outranks the bare letter
    # stated twice: the one it settled on (the last) wins
    ("At first the answer is (B), I thought; rechecking, the answer is (C).", "C"),
    # "A" and "I" as English words are not options
    ("A quick check shows C is right. A good sign.", "C"),
    ("The answer is I think B", "B"),
    ("The answer is a bit subtle, but C fits.", "C"),
    ("I'm confident: C", "C"),
    ("We can exclude C, so A is correct", "A"),
    # reasoning is not the answer
    ("<think>The answer is (A)</think>The answer is (B)", "B"),
    ("The answer is (A) maybe... hmm</think>\n\nAnswer: D", "D"),
]


@pytest.mark.parametrize(("reply", "letter"), SHAPES)
def test_reply_shapes(reply, letter):
    assert extract_choice(reply, 10) == letter


@pytest.mark.parametrize(
    ("reply", "n_options", "letter"),
    [
        ("The answer is I", 10, "I"),  # MMLU-Pro has an option I
        ("The answer is (J).", 10, "J"),
        ("I think so.", 10, None),  # the pronoun, not option I
        ("I think it is (B)", 4, "B"),
        ("The answer is (E)", 4, None),  # not an option of a four-option question
        ("The answer is (E) or maybe B", 4, "B"),
        ("F", 4, None),
        ("F", 6, "F"),
    ],
)
def test_only_the_questions_letters_count(reply, n_options, letter):
    assert extract_choice(reply, n_options) == letter


@pytest.mark.parametrize(
    "reply",
    [
        "",
        None,
        "I don't know.",
        "The answer is 42.",
        "A cat is an animal.",  # the article
        "Answer: a bit of both",
        "<think>The answer is (C)</think>",  # only reasoning
        "none of them, really",
    ],
)
def test_no_letter(reply):
    assert extract_choice(reply, 4) is None
    assert score_choice(reply, "C", 4) == ChoiceVerdict(False, None, "no_answer_found")


def test_score_choice():
    assert score_choice("The answer is (C)", "C", 4) == (True, "C", "correct")
    assert score_choice("Answer: B", "c", 4) == ChoiceVerdict(False, "B", "expected C, got B")
    correct, extracted, reason = score_choice("答案：D", "D", 4)
    assert (correct, extracted, reason) == (True, "D", "correct")
    with pytest.raises(ValueError, match="gold letter"):
        score_choice("C", "E", 4)
    with pytest.raises(ValueError, match="n_options"):
        extract_choice("C", 11)


# --- GPQA's option shuffle -------------------------------------------------------------------

PINNED = {
    # seed key -> permutation of four options (shuffled[j] == options[permutation[j]])
    "recXyZ01": [1, 3, 0, 2],
    "gpqa-diamond-0": [2, 0, 3, 1],
    "gpqa-diamond-1": [0, 1, 2, 3],
}


def test_pinned_permutations():
    options = ["w", "x", "y", "z"]
    for key, permutation in PINNED.items():
        shuffled, correct, got = shuffle_options(options, 0, key)
        assert got == permutation
        assert shuffled == [options[i] for i in permutation]
        assert shuffled[correct] == "w"


def test_the_permutation_is_fisher_yates_driven_by_sha256():
    """The documented algorithm, step by step, for one key: step i swaps i with
    sha256(key NUL i) mod (i + 1), from the last position down."""
    key = "recXyZ01"
    draws = {
        i: int.from_bytes(hashlib.sha256(f"{key}\x00{i}".encode()).digest(), "big") % (i + 1)
        for i in (3, 2, 1)
    }
    order = [0, 1, 2, 3]
    for i in (3, 2, 1):
        order[i], order[draws[i]] = order[draws[i]], order[i]
    assert order == PINNED[key]


def test_ten_options_and_the_gold_follows():
    options = [f"opt{i}" for i in range(10)]
    shuffled, correct, permutation = shuffle_options(options, 9, "mmlu-1")
    assert permutation == [4, 5, 1, 0, 9, 2, 7, 6, 8, 3]
    assert correct == 4 and shuffled[4] == "opt9"
    for gold in range(10):
        shuffled, correct, _ = shuffle_options(options, gold, "mmlu-1")
        assert shuffled[correct] == options[gold]
    assert options == [f"opt{i}" for i in range(10)]  # the input is left alone


def test_deterministic_across_calls_and_processes():
    options = ["a", "b", "c", "d"]
    first = shuffle_options(options, 2, "gpqa-diamond-0")
    assert all(shuffle_options(options, 2, "gpqa-diamond-0") == first for _ in range(3))
    code = (
        "import json; from pytest_llmeval.scoring.choice import shuffle_options as s; "
        f"print(json.dumps([s(['a', 'b', 'c', 'd'], 2, k)[2] for k in {list(PINNED)!r}]))"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout) == list(PINNED.values())


def test_every_order_occurs():
    seen = {tuple(shuffle_options(range(4), 0, f"q{n}")[2]) for n in range(400)}
    assert seen == set(itertools.permutations(range(4)))


def test_bad_correct_index():
    with pytest.raises(IndexError):
        shuffle_options(["a", "b"], 2, "k")
