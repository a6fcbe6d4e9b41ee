"""Lengths: ``length_constraints:*`` (words, sentences, paragraphs, a paragraph's first word).

Each checker states the official definition it implements (google-research
``instruction_following_eval/instructions.py``).
"""

from __future__ import annotations

import re

from .registry import compare, instruction
from .text import count_sentences, count_words

_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_FIRST_WORD_STOP = frozenset(".,?!'\"")


@instruction("length_constraints:number_words")
def number_words(response: str, *, num_words: int, relation: str) -> bool:
    """Runs of word characters (``\\w+``) number < or >= `num_words`."""
    return compare(count_words(response), num_words, relation)


@instruction("length_constraints:number_sentences")
def number_sentences(response: str, *, num_sentences: int, relation: str) -> bool:
    """Sentences by NLTK's Punkt English model number < or >= `num_sentences`."""
    return compare(count_sentences(response), num_sentences, relation)


@instruction("length_constraints:number_paragraphs")
def number_paragraphs(response: str, *, num_paragraphs: int) -> bool:
    """Exactly `num_paragraphs` paragraphs separated by the markdown divider ``***`` (one optional
    whitespace character either side). An empty piece before the first or after the last divider
    is not a paragraph; an empty one between two dividers fails the instruction."""
    pieces = _DIVIDER.split(response)
    count = len(pieces)
    for index, piece in enumerate(pieces):
        if not piece.strip():
            if index in (0, len(pieces) - 1):
                count -= 1
            else:
                return False
    return count == num_paragraphs


def _nth_within(*, num_paragraphs: int, nth_paragraph: int, first_word: str) -> None:
    if not 1 <= nth_paragraph <= num_paragraphs:
        raise ValueError(
            "length_constraints:nth_paragraph_first_word: nth_paragraph must be between 1 and "
            f"num_paragraphs ({num_paragraphs}), got {nth_paragraph}"
        )


@instruction("length_constraints:nth_paragraph_first_word", validate=_nth_within)
def nth_paragraph_first_word(
    response: str, *, num_paragraphs: int, nth_paragraph: int, first_word: str
) -> bool:
    """Exactly `num_paragraphs` non-empty paragraphs separated by ``\\n\\n``, and paragraph
    `nth_paragraph` starts with `first_word` (any case).

    As officially: the paragraph is found by its position among all pieces, empty ones
    included, while the count leaves empty ones out; its first word is its first
    whitespace-separated token without leading quotes, cut at the first of ``. , ? ! ' "``.
    """
    pieces = response.split("\n\n")
    count = sum(1 for piece in pieces if piece.strip())
    if nth_paragraph > count:
        return False
    paragraph = pieces[nth_paragraph - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    letters = []
    for character in word:
        if character in _FIRST_WORD_STOP:
            break
        letters.append(character.lower())
    return count == num_paragraphs and "".join(letters) == first_word.lower()
