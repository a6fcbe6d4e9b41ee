"""IFEval (Zhou et al. 2023, "Instruction-Following Evaluation for Large Language Models"; hub
``google/IFEval``, 541 prompts): the 25 official instruction checkers, strict and loose
evaluation, and the four official figures.

The checkers are written from the definitions of the official code (google-research
``instruction_following_eval``); each one's docstring states its rule. Split by family:
`lexical` (keywords, language, case, punctuation), `length` (words, sentences, paragraphs),
`layout` (format, content, start/end, combinations); `registry` binds a data row's arguments,
`text` holds the official tools (NLTK Punkt and word tokenizer, langdetect), `evaluation` the
strict/loose rules and the figures.
"""

from .evaluation import (
    IFEvalResult,
    evaluate,
    ifeval_figures,
    instruction_accuracy,
    loose_variants,
)
from .registry import INSTRUCTIONS, bind

INSTRUCTION_IDS = tuple(sorted(INSTRUCTIONS))

__all__ = [
    "INSTRUCTIONS",
    "INSTRUCTION_IDS",
    "IFEvalResult",
    "bind",
    "evaluate",
    "ifeval_figures",
    "instruction_accuracy",
    "loose_variants",
]
