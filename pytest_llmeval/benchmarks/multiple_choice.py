"""What every multiple-choice benchmark shares: the one prompt builder and the one scorer.

`choice_prompt` fills a benchmark's published template with the question, its options under
their letters and the list of letters; only the template and the way one option is written
differ between benchmarks. Scoring is `scoring.choice.score_choice` (the one letter extractor):
the gold letter is the sample's target, the number of options its ``n_options``.

Templates:

- `EVALSCOPE_COT_TEMPLATE`: EvalScope's ``MultipleChoiceTemplate.SINGLE_ANSWER_COT``
  (``evalscope/utils/multi_choices.py``, itself inspect_ai's single-answer chain-of-thought
  template), options written ``A) text`` one per line, letters ``A,B,C,D``. EvalScope's GPQA
  Diamond and MMLU-Redux use it, zero-shot.
- MMLU-Pro writes its own (see `mmlu_pro`), through the same builder.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from ..data import DataError, pick
from ..records import Outcome, Sample, Verdict
from ..scoring.choice import LETTERS, MAX_OPTIONS, score_choice
from .base import Benchmark

METRIC = "AverageAccuracy"

EVALSCOPE_COT_TEMPLATE = (
    "Answer the following multiple choice question. The last line of your response should be "
    "of the following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of "
    "{letters}. Think step by step before answering.\n\n{question}\n\n{choices}"
)
EVALSCOPE_OPTION = "{letter}) {text}"


def option_list(row: dict[str, Any], field: str) -> list[str]:
    """A row's options as text: a list (JSON, parquet, the hub) or a CSV cell holding one."""
    options = pick(row, (field,), field)
    if isinstance(options, str):
        try:
            options = ast.literal_eval(options)
        except (ValueError, SyntaxError):
            raise DataError(f"{field} is not a list: {options[:80]!r}") from None
    return [str(option) for option in options]


def option_block(options: Sequence[str], line: str = EVALSCOPE_OPTION, sep: str = "\n") -> str:
    """The options under their letters: `line` per option (``{letter}``, ``{text}``), joined
    by `sep`."""
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise ValueError(f"a question needs 2 to {MAX_OPTIONS} options, got {len(options)}")
    return sep.join(line.format(letter=letter, text=text) for letter, text in zip(LETTERS, options))


def choice_prompt(
    template: str,
    question: str,
    options: Sequence[str],
    *,
    line: str = EVALSCOPE_OPTION,
    sep: str = "\n",
    **fields: Any,
) -> str:
    """`template` with ``{question}``, ``{choices}`` (see `option_block`), ``{letters}``
    (``A,B,C,D``) and any other `fields` filled in."""
    return template.format(
        question=question,
        choices=option_block(options, line, sep),
        letters=",".join(LETTERS[: len(options)]),
        **fields,
    )


class MultipleChoice(Benchmark):
    """A benchmark whose samples are questions with lettered options and one gold letter."""

    metrics = (METRIC,)

    def choice_sample(
        self,
        subset: str,
        sample_id: str,
        prompt: str,
        options: Sequence[str],
        gold_index: int,
        labels: dict[str, Any] | None = None,
    ) -> Sample:
        """A Sample asking `prompt` (built with `choice_prompt`) whose gold is option
        `gold_index` of `options` (as shown to the model)."""
        if not 0 <= gold_index < len(options):
            raise ValueError(f"{sample_id}: gold option {gold_index} of {len(options)}")
        return Sample(
            id=sample_id,
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": prompt}],
            target=LETTERS[gold_index],
            category=self.category(subset),
            meta={"n_options": len(options), "labels": labels or {}},
        )

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        verdict = score_choice(outcome.final.text, sample.target, sample.meta["n_options"])
        return Verdict(
            verdict.correct, verdict.reason, {METRIC: float(verdict.correct)}, verdict.extracted
        )
