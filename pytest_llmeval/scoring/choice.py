"""Multiple-choice letters: one answer extractor for every MCQ benchmark, and GPQA's option shuffle.

`extract_choice` reads the option letter (A–J: up to ten options, as in MMLU-Pro) a reply settled
on. Its order of precedence is the one of MMLU-Pro's official evaluation
(TIGER-AI-Lab/MMLU-Pro, ``evaluate_from_api.py``: ``extract_answer`` → ``extract_again`` →
``extract_final``), each stage widened to the reply shapes chat models produce:

1. an "answer is" statement (official: ``answer is \\(?([A-J])\\)?``): "The answer is (C)",
   "the correct answer is option C", "答案是C", "答案为C", "故选C", and ``\\boxed{C}``;
2. an "Answer:" label (official: ``.*[aA]nswer:\\s*([A-J])``): "Answer: C.", "Final answer: (C)",
   "ANSWER: C", "答案：C";
3. the reply's own shape, then the last letter (official: the last standalone ``[A-J]``): a reply
   whose first line is only a label ("C", "(C)", "**C**", "Option C") or a one-line reply opening
   with one ("(C) 42", "C. 42"); else the last standalone capital letter of the reply.

Before that, as MMLU-Pro's own script does with ``**``, markup is taken away: reasoning
(``<think>…</think>``) is dropped, the text is NFKC-normalised (full-width "Ｃ", "：", "（" become
ASCII), and ``*``, backticks, ``$`` and ``\\text{…}``-style wrappers are removed.

Where this differs from the official functions, on purpose:

- Within a stage the *last* match wins (the official takes the first): one chat reply that states
  its answer twice ends with the one it settled on ("I first thought the answer is (B)... so the
  answer is (C)"); EvalScope's parser takes the last marker for the same reason. A reply that
  states its answer once is read the same either way.
- Only the letters of the question's options count (EvalScope does the same): in a four-option
  GPQA question the pronoun "I" or a stray "F" can never be the answer.
- A lowercase letter counts only where it cannot be a word: in brackets or a box ("answer is
  (c)"), at the end of a line after a cue ("Answer: c"), or as a whole first line ("c").
- In the last-letter fallback (and right after a cue), "A" and "I" followed by a lowercase word
  ("A quick check", "I think", "I'm") are English words, not options; "A is correct" still counts.

A reply with no letter gives `None`, which `score_choice` scores wrong with reason
``no_answer_found``.

`shuffle_options` is the deterministic option order of GPQA: the permutation comes from SHA-256 of
a per-question key (Fisher–Yates driven by the hash, no `random` state and no `hash()`), so it is
the same in every process, on every platform and every Python version.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple, TypeVar

LETTERS = "ABCDEFGHIJ"
MAX_OPTIONS = len(LETTERS)

T = TypeVar("T")


class ChoiceVerdict(NamedTuple):
    correct: bool
    extracted: str | None
    reason: str


# Copulas and conjunctions after which "A"/"I" are still option letters ("A is correct").
_LETTER_VERBS = frozenset(
    {"is", "was", "are", "were", "would", "will", "should", "must", "can", "could"}
    | {"seems", "appears", "has", "had", "and", "or", "looks", "remains"}
)
_WORD_AFTER = re.compile(r"\s+([a-z]+)")
_WRAPPERS = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mathit)\s*\{([^{}]*)\}")
_MARKUP = re.compile(r"[*`$]")
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)

_OPTION_WORD = r"(?:(?i:option|choice|letter)\s*)?"
# Stage 1: an "answer is" statement, MMLU-Pro's first regex widened.
_ANSWER_IS = (
    r"(?i:answer\s+(?:is|would\s+be|should\s+be|will\s+be)"
    r"|correct\s+(?:option|choice)\s+is|best\s+(?:option|choice)\s+is)"
    r"\s*:?\s*"
)
_ANSWER_IS_ZH = r"(?:答案|正确选项)\s*(?:应该|应当|应)?\s*(?:是|为|选)\s*:?\s*|故选\s*:?\s*"
# Stage 2: an "Answer:" label, MMLU-Pro's second regex widened (NFKC made "：" a ":").
_ANSWER_LABEL = r"(?:(?i:answer)|答案)\s*:\s*"


def _strip_reasoning(reply: str) -> str:
    """The text after any reasoning: `<think>` blocks, text before a stray `</think>`, and text
    after an unclosed `<think>` are dropped."""
    text = _THINK_BLOCK.sub("", reply)
    text = text.rpartition("</think>")[2]
    return text.partition("<think>")[0]


def _normalize(reply: str) -> str:
    text = unicodedata.normalize("NFKC", _strip_reasoning(reply))
    for _ in range(2):  # \textbf{\text{C}}
        text = _WRAPPERS.sub(r"\1", text)
    return _MARKUP.sub("", text)


class _Patterns(NamedTuple):
    cue_stages: tuple[tuple[re.Pattern[str], ...], ...]
    label_line: re.Pattern[str]
    label_opening: re.Pattern[str]
    standalone: re.Pattern[str]


@lru_cache(maxsize=MAX_OPTIONS)
def _patterns(n_options: int) -> _Patterns:
    upper = LETTERS[:n_options]
    both = upper + upper.lower()
    lower = upper.lower()
    # A letter right after a cue: bracketed (any case), a bare capital, or a lowercase letter that
    # ends the line. Group names: b bracketed, u bare capital (checked for "A"/"I" as words),
    # l lowercase, x boxed.
    letter = (
        rf"{_OPTION_WORD}(?:[(\[]\s*(?P<b>[{both}])\s*[)\]]"
        rf"|(?P<u>[{upper}])(?![A-Za-z0-9])"
        rf"|(?P<l>[{lower}])(?=\s*[.!。]?\s*$))"
    )
    boxed = (
        rf"\\boxed\s*\{{\s*{_OPTION_WORD}[(\[]?\s*(?P<x>[{both}])\s*[)\]]?\s*\.?\s*\}}"
        rf"|\\boxed\s*\{{\s*[(\[]?\s*(?P<b>[{upper}])\s*[)\].:][^{{}}]*\}}"
    )
    flags = re.MULTILINE
    stage1 = (
        re.compile(_ANSWER_IS + letter, flags),
        re.compile(f"(?:{_ANSWER_IS_ZH})" + letter, flags),
        re.compile(boxed, flags),
    )
    stage2 = (re.compile(_ANSWER_LABEL + letter, flags),)
    label_line = re.compile(
        rf"{_OPTION_WORD}(?:[(\[]\s*(?P<b>[{both}])\s*[)\]]|(?P<x>[{both}]))\s*[.:)]?"
    )
    label_opening = re.compile(
        rf"{_OPTION_WORD}(?:[(\[]\s*(?P<b>[{both}])\s*[)\]]|(?P<u>[{upper}])(?=[.:)\s])"
        rf"|(?P<l>[{lower}])(?=[.:)]))"
    )
    # MMLU-Pro's last standalone letter; ASCII boundaries, so a letter next to CJK text counts.
    standalone = re.compile(rf"(?<![A-Za-z0-9_])(?P<u>[{upper}])(?![A-Za-z0-9_])")
    return _Patterns((stage1, stage2), label_line, label_opening, standalone)


def _is_english_word(text: str, end: int, letter: str) -> bool:
    """ "A"/"I" used as an article or a pronoun ("A quick check", "I think", "I'm")."""
    if letter not in "AI":
        return False
    after = text[end:]
    if after[:1] in ("'", "\u2019"):
        return True
    word = _WORD_AFTER.match(after)
    return word is not None and word.group(1) not in _LETTER_VERBS


def _letter_of(match: re.Match[str], text: str) -> str | None:
    """The matched letter in upper case; `None` for a bare "A"/"I" that is an English word."""
    for name, value in match.groupdict().items():
        if value is not None:
            if name == "u" and _is_english_word(text, match.end(name), value):
                return None
            return value.upper()
    raise AssertionError("a letter pattern matched without a letter")


def _last_cue_letter(text: str, patterns: Sequence[re.Pattern[str]]) -> str | None:
    best: tuple[int, str] | None = None
    for pattern in patterns:
        for match in pattern.finditer(text):
            letter = _letter_of(match, text)
            if letter is not None and (best is None or match.start() > best[0]):
                best = (match.start(), letter)
    return best[1] if best else None


def _shape_letter(text: str, patterns: _Patterns) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    first = patterns.label_line.fullmatch(lines[0])
    if first:
        return _letter_of(first, lines[0])
    if len(lines) == 1:
        opening = patterns.label_opening.match(lines[0])
        if opening:
            return _letter_of(opening, lines[0])
    return None


def _last_standalone_letter(text: str, pattern: re.Pattern[str]) -> str | None:
    for match in reversed(list(pattern.finditer(text))):
        letter = _letter_of(match, text)
        if letter is not None:
            return letter
    return None


def extract_choice(reply: str | None, n_options: int = MAX_OPTIONS) -> str | None:
    """The option letter a reply settled on (upper case), or `None` when it names none.

    `n_options` is the number of options of the question (2 to 10): only their letters count.
    The order of precedence and its sources are in this module's docstring.
    """
    if not 1 <= n_options <= MAX_OPTIONS:
        raise ValueError(f"n_options must be between 1 and {MAX_OPTIONS}, got {n_options}")
    if not reply:
        return None
    text = _normalize(reply)
    patterns = _patterns(n_options)
    for stage in patterns.cue_stages:
        letter = _last_cue_letter(text, stage)
        if letter is not None:
            return letter
    return _shape_letter(text, patterns) or _last_standalone_letter(text, patterns.standalone)


def score_choice(reply: str | None, gold_letter: str, n_options: int) -> ChoiceVerdict:
    """Score a reply against the gold letter: `(correct, extracted, reason)`.

    The reason is ``correct``, ``no_answer_found`` (no letter in the reply, scored wrong) or
    ``expected C, got B``.
    """
    gold = gold_letter.strip().upper()
    if len(gold) != 1 or gold not in LETTERS[:n_options]:
        raise ValueError(f"gold letter {gold_letter!r} is not one of {LETTERS[:n_options]}")
    extracted = extract_choice(reply, n_options)
    if extracted is None:
        return ChoiceVerdict(False, None, "no_answer_found")
    if extracted == gold:
        return ChoiceVerdict(True, extracted, "correct")
    return ChoiceVerdict(False, extracted, f"expected {gold}, got {extracted}")


def _draw(seed_key: str, step: int, bound: int) -> int:
    """A number in [0, bound) from SHA-256 of the key and the step (bias below 2**-200)."""
    digest = hashlib.sha256(f"{seed_key}\x00{step}".encode()).digest()
    return int.from_bytes(digest, "big") % bound


def shuffle_options(
    options: Sequence[T], correct_index: int, seed_key: str
) -> tuple[list[T], int, list[int]]:
    """Options in a fixed pseudo-random order per question: `(shuffled, new_correct, permutation)`.

    `permutation[j]` is the original index of the option shown at position j, so
    ``shuffled[j] == options[permutation[j]]`` and ``new_correct = permutation.index(correct)``.
    The order depends only on `seed_key` (use the question's id) and the number of options:
    reruns, other processes and other machines see the same order.
    """
    if not 0 <= correct_index < len(options):
        raise IndexError(f"correct_index {correct_index} out of range for {len(options)} options")
    permutation = list(range(len(options)))
    for i in range(len(permutation) - 1, 0, -1):  # Fisher-Yates, from the end
        j = _draw(seed_key, i, i + 1)
        permutation[i], permutation[j] = permutation[j], permutation[i]
    shuffled = [options[k] for k in permutation]
    return shuffled, permutation.index(correct_index), permutation
