"""AIME 2025: 30 integer-answer problems, scored with math-verify, AveragePass@1 over repeats.

Hub copy ``opencompass/AIME2025`` (configs AIME2025-I / AIME2025-II, split test, fields
question/answer); other copies (``math-ai/aime25``: problem/answer) load through the field lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..data import DataError, pick
from ..records import Outcome, Sample, SampleRecord, Verdict
from ..scoring.math import check_answer
from ..scoring.pass_at_k import pass_at_k  # noqa: F401 (its home before it was shared)
from .base import Benchmark, Rows, pass_at_k_names, pass_at_k_values

QUESTION_FIELDS = ("question", "problem", "Problem")
ANSWER_FIELDS = ("answer", "Answer", "solution")
SUBSET_FIELDS = ("subset", "config", "part")
PROMPT = "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."


class Aime25(Benchmark):
    name = "aime25"
    metrics = ("AveragePass@1",)
    subsets = ("AIME2025-I", "AIME2025-II")
    hub_path = "opencompass/AIME2025"
    hub_configs = {s: s for s in subsets}  # noqa: RUF012 (read-only)
    data_help = "a folder with AIME2025-I.jsonl and AIME2025-II.jsonl (fields question, answer)"

    @property
    def derived(self) -> tuple[str, ...]:  # type: ignore[override]
        """With N repeats, unbiased pass@1 and pass@N as well."""
        return pass_at_k_names(self.repeats)

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        question = str(pick(row, QUESTION_FIELDS, "question"))
        return Sample(
            id=f"{subset}-{index}",
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": PROMPT.format(question=question)}],
            target=str(pick(row, ANSWER_FIELDS, "answer")).strip(),
            category=self.category(subset),
        )

    def group(self, rows: list[dict[str, Any]], source: Path) -> Rows:
        """One file: rows name their subset, or the file's name does, or it is one subset."""
        if rows and any(f in rows[0] for f in SUBSET_FIELDS):
            grouped: Rows = defaultdict(list)
            for row in rows:
                grouped[str(pick(row, SUBSET_FIELDS, "subset"))].append(row)
            return grouped
        by_stem = {s.lower(): s for s in self.subsets}
        if source.stem.lower() in by_stem:
            return {by_stem[source.stem.lower()]: rows}
        if len(rows) == 30:  # the whole contest in one file: I then II, 15 each
            return {self.subsets[0]: rows[:15], self.subsets[1]: rows[15:]}
        raise DataError(
            f"{source}: cannot tell AIME2025-I from AIME2025-II rows ({self.data_help})"
        )

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        verdict = check_answer(outcome.final.text, sample.target)
        return Verdict(
            verdict.correct,
            verdict.reason,
            {"AveragePass@1": float(verdict.correct)},
            verdict.extracted,
        )

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        """AveragePass@1 over samples × repeats; with N repeats also pass@1 and pass@N."""
        return super().aggregate(records) | pass_at_k_values(records)
