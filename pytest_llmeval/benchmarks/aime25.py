"""AIME 2025: 30 integer-answer problems, scored with math-verify, AveragePass@1 over repeats.

Hub copy ``opencompass/AIME2025`` (configs AIME2025-I / AIME2025-II, split test, fields
question/answer); other copies (``math-ai/aime25``: problem/answer) load through the field lists.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..data import DataError, pick, read_hub, read_local
from ..records import Outcome, Sample, Verdict
from ..scoring.math import check_answer
from .base import Benchmark

QUESTION_FIELDS = ("question", "problem", "Problem")
ANSWER_FIELDS = ("answer", "Answer", "solution")
SUBSET_FIELDS = ("subset", "config", "part")
PROMPT = "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. (2021): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


class Aime25(Benchmark):
    name = "aime25"
    metrics = ("AveragePass@1",)
    subsets = ("AIME2025-I", "AIME2025-II")
    hub_path = "opencompass/AIME2025"
    data_help = "a folder with AIME2025-I.jsonl and AIME2025-II.jsonl (fields question, answer)"

    def load(self, source: str | None) -> list[Sample]:
        if source is None:
            by_subset = {s: read_hub(self.hub_path, s, "test") for s in self.subsets}
        else:
            by_subset = self._split(read_local(Path(source), self.subsets), Path(source))
        samples = []
        for subset in self.subsets:
            for index, row in enumerate(by_subset.get(subset, [])):
                question = str(pick(row, QUESTION_FIELDS, "question"))
                answer = str(pick(row, ANSWER_FIELDS, "answer")).strip()
                samples.append(
                    Sample(
                        id=f"{subset}-{index}",
                        dataset=self.name,
                        subset=subset,
                        messages=[{"role": "user", "content": PROMPT.format(question=question)}],
                        target=answer,
                    )
                )
        return samples

    def _split(self, rows: dict[str, list[dict[str, Any]]], source: Path) -> dict[str, list[dict]]:
        """One file: rows name their subset, or the file's name does, or it is one subset."""
        if "" not in rows:
            return rows
        single = rows[""]
        if single and any(f in single[0] for f in SUBSET_FIELDS):
            grouped: dict[str, list[dict]] = defaultdict(list)
            for row in single:
                grouped[str(pick(row, SUBSET_FIELDS, "subset"))].append(row)
            return grouped
        by_stem = {s.lower(): s for s in self.subsets}
        if source.stem.lower() in by_stem:
            return {by_stem[source.stem.lower()]: single}
        if len(single) == 30:  # the whole contest in one file: I then II, 15 each
            return {self.subsets[0]: single[:15], self.subsets[1]: single[15:]}
        raise DataError(
            f"{source}: cannot tell AIME2025-I from AIME2025-II rows ({self.data_help})"
        )

    def figures(self) -> tuple[list[str], list[str]]:
        metrics, subsets = super().figures()
        if self.config.repeats > 1:
            metrics += ["pass@1", f"pass@{self.config.repeats}"]
        return metrics, subsets

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        final = outcome.final
        if final.finish_reason == "content_filter":
            return Verdict(False, "refused", {"AveragePass@1": 0.0}, tags=["refused"])
        verdict = check_answer(final.text, sample.target)
        return Verdict(
            verdict.correct,
            verdict.reason,
            {"AveragePass@1": float(verdict.correct)},
            verdict.extracted,
        )

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, float]:
        """AveragePass@1 over samples × repeats; with N repeats also pass@1 and pass@N."""
        values = super().aggregate(records)
        by_sample: dict[str, list[bool]] = defaultdict(list)
        for record in records:
            by_sample[record["sample_id"]].append(record["passed"])
        n = min(len(v) for v in by_sample.values()) if by_sample else 0
        if n > 1:
            for k in (1, n):
                values[f"pass@{k}"] = statistics.fmean(
                    pass_at_k(len(v), sum(v), k) for v in by_sample.values()
                )
        return values
