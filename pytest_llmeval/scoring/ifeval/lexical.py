"""Words, letters, case, punctuation and language: ``keywords:*``, ``language:*``,
``change_case:*``, ``punctuation:*``.

Each checker states the official definition it implements (google-research
``instruction_following_eval/instructions.py``). Keywords are used as the official code uses them,
as regular expressions matched without regard to case.
"""

from __future__ import annotations

import re
from collections import Counter

from .registry import compare, instruction
from .text import detect_language, word_tokens


@instruction("keywords:existence")
def keywords_existence(response: str, *, keywords: list[str]) -> bool:
    """Every keyword occurs somewhere (any case, inside other words too)."""
    return all(re.search(keyword, response, flags=re.IGNORECASE) for keyword in keywords)


@instruction("keywords:frequency")
def keyword_frequency(response: str, *, keyword: str, frequency: int, relation: str) -> bool:
    """The keyword's occurrences (any case, inside other words too) are < or >= `frequency`."""
    occurrences = len(re.findall(keyword.strip(), response, flags=re.IGNORECASE))
    return compare(occurrences, frequency, relation)


@instruction("keywords:forbidden_words")
def forbidden_words(response: str, *, forbidden_words: list[str]) -> bool:
    """None of the words occurs as a whole word (any case)."""
    return not any(
        re.search(rf"\b{word}\b", response, flags=re.IGNORECASE) for word in forbidden_words
    )


def _one_letter(*, letter: str, let_frequency: int, let_relation: str) -> None:
    if len(letter.strip()) != 1:
        raise ValueError(f"keywords:letter_frequency: letter must be one character, got {letter!r}")


@instruction("keywords:letter_frequency", validate=_one_letter)
def letter_frequency(response: str, *, letter: str, let_frequency: int, let_relation: str) -> bool:
    """The letter's occurrences, either case, are < or >= `let_frequency`."""
    count = Counter(response.lower())[letter.strip().lower()]
    return compare(count, let_frequency, let_relation)


@instruction("language:response_language")
def response_language(response: str, *, language: str) -> bool:
    """langdetect names `language` (an ISO 639-1 code); a text it cannot read at all (no letters)
    counts as followed, as officially."""
    detected = detect_language(response)
    return detected is None or detected == language


@instruction("change_case:english_capital")
def english_capital(response: str) -> bool:
    """All cased characters are capitals (``str.isupper``) and langdetect says English
    (undetectable counts as English, as officially)."""
    if not response.isupper():
        return False
    detected = detect_language(response)
    return detected is None or detected == "en"


@instruction("change_case:english_lowercase")
def english_lowercase(response: str) -> bool:
    """All cased characters are lowercase (``str.islower``) and langdetect says English
    (undetectable counts as English, as officially)."""
    if not response.islower():
        return False
    detected = detect_language(response)
    return detected is None or detected == "en"


@instruction("change_case:capital_word_frequency")
def capital_word_frequency(response: str, *, capital_frequency: int, capital_relation: str) -> bool:
    """Tokens of ``nltk.word_tokenize`` that are all capitals (``str.isupper``) number < or >=
    `capital_frequency`; a hyphenated word is one token, "DON'T" is two ("DO", "N'T")."""
    capitals = sum(1 for token in word_tokens(response) if token.isupper())
    return compare(capitals, capital_frequency, capital_relation)


@instruction("punctuation:no_comma")
def no_comma(response: str) -> bool:
    """No ASCII comma (a full-width "，" is not one, as officially)."""
    return "," not in response
