"""What several benchmarks share: pass@k over repeats, and the math-answer benchmark.

`PassAtK` adds the unbiased ``pass@1`` / ``pass@N`` figures to a benchmark's means when it runs
with ``--llm-repeats N`` (a record counts as correct when it passed). `MathBenchmark` is the
AIME machinery: one problem per sample, the final answer extracted and compared with
math-verify (`scoring.math.check_answer`: a killable child per core, or its fast path for a
boxed integer), scored ahead beside the calls, ``AveragePass@1`` over samples and repeats.
The answer is read from the reply's text only: the client keeps reasoning
(``reasoning_content``, a leading ``<think>`` block) apart, so a number in the reasoning never
counts as the answer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..data import TABLE_SUFFIXES, pick, read_table
from ..records import Outcome, Sample, SampleRecord, Verdict
from ..reporting.compare import OVERALL, ComparisonRow, Pairing, per_cluster_row
from ..scoring.math import check_answer, fast_verdict
from ..scoring.passk import pass_at_k, pass_at_k_metrics, pass_at_k_names
from ..scoring.stats import Estimate, pass_at_k_estimate
from .base import Benchmark, Rows

BOXED_PROMPT = (
    "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."
)
"""The zero-shot prompt of Qwen's and DeepSeek's math evaluations, EvalScope's for math_500
(and for aime24/aime25 up to v1.1)."""

_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}")


class PassAtK(Benchmark):
    """A benchmark whose repeats give pass@1 and pass@N besides its per-sample means."""

    @property
    def derived(self) -> tuple[str, ...]:  # type: ignore[override]
        """With N repeats, unbiased pass@1 and pass@N as well."""
        return pass_at_k_names(self.repeats)

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        """The means over samples × repeats; with N repeats also pass@1 and pass@N."""
        return {**super().aggregate(records), **pass_at_k_metrics(records)}

    def estimates(self, records: Sequence[SampleRecord]) -> dict[str, Estimate]:
        """AveragePass@1: the clustered mean over samples × repeats (a problem's repeats are
        one cluster; with k answers to every problem this is the SE over per-problem means);
        pass@1 and pass@N: `pass_at_k_estimate`, SE over problems."""
        estimates = super().estimates(records)
        by_sample: dict[str, list[float]] = defaultdict(list)
        for record in records:
            by_sample[record.sample_id].append(float(record.passed))
        n = min(len(v) for v in by_sample.values()) if by_sample else 0
        if n > 1:
            scores = [float(r.passed) for r in records]
            problems = [r.sample_id for r in records]
            for k in (1, n):
                estimates[f"pass@{k}"] = pass_at_k_estimate(scores, problems, k)
        return estimates

    def compare(self, pairing: Pairing) -> list[ComparisonRow]:
        """AveragePass@1 per subset and OVERALL; with N repeats also pass@1 and pass@N, per
        problem over its paired repeats (`per_cluster_row`; a problem with fewer than N
        paired answers leaves pass@N uncompared)."""
        rows = super().compare(pairing)
        if self.repeats < 2:
            return rows
        subsets = list(dict.fromkeys(p.ref.subset for p in pairing.pairs))
        for k in (1, self.repeats):

            def figure(values: Sequence[float], k: int = k) -> float:
                if len(values) < k:
                    raise ValueError(f"pass@{k} of {len(values)} answers")
                return pass_at_k(len(values), round(sum(values)), k)

            for subset in [*subsets, OVERALL]:
                row = per_cluster_row(
                    pairing, self.name, f"pass@{k}", "AveragePass@1", figure, subset=subset
                )
                if row is not None:
                    rows.append(row)
        return rows


def gold_answer(value: Any) -> str:
    """The gold answer as text; a copy that stores it boxed (``\\boxed{204}``) gives its content."""
    text = str(value).strip()
    boxed = _BOXED.findall(text)
    return boxed[-1].strip() if boxed else text


class MathBenchmark(PassAtK):
    """A problem whose final answer math-verify compares with the gold answer."""

    metrics = ("AveragePass@1",)
    prompt: ClassVar[str] = BOXED_PROMPT
    """The user message; ``{question}`` is the problem (braces doubled, as for str.format)."""
    question_fields: ClassVar[tuple[str, ...]] = ("question", "problem", "Problem")
    answer_fields: ClassVar[tuple[str, ...]] = ("answer", "Answer", "solution")
    """First present wins: copies name their fields differently."""

    def read_rows(self, source: str | None) -> Rows:
        """As the base class reads them; a folder whose files name no subset is the hub's own
        layout (``test.jsonl``, ``train-00000-of-00001.parquet``): all its rows, grouped."""
        if source is not None and Path(source).is_dir():
            folder = Path(source)
            files = sorted(f for f in folder.iterdir() if f.suffix.lower() in TABLE_SUFFIXES)
            names = {s.lower() for s in self.subsets}
            if files and not any(f.stem.lower() in names for f in files):
                return self.group([row for f in files for row in read_table(f)], folder)
        return super().read_rows(source)

    def sample_id(self, subset: str, index: int, row: dict[str, Any]) -> str:
        return f"{subset}-{index}"

    def labels(self, row: dict[str, Any]) -> dict[str, Any]:
        """What to keep of the row in the sample's record (for filtering and reading)."""
        return {}

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        question = str(pick(row, self.question_fields, "question"))
        labels = self.labels(row)
        return Sample(
            id=self.sample_id(subset, index, row),
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": self.prompt.format(question=question)}],
            target=gold_answer(pick(row, self.answer_fields, "answer")),
            category=self.category(subset),
            meta={"labels": labels} if labels else {},
        )

    def score_ahead(self, sample: Sample, outcome: Outcome) -> bool:
        """math-verify in its children, on a scoring thread; its fast path (one boxed integer)
        in the test body, as the hop to a thread costs more than the check."""
        return fast_verdict(outcome.final.text, str(sample.target)) is None

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        verdict = check_answer(outcome.final.text, sample.target)
        return Verdict(
            verdict.correct,
            verdict.reason,
            {"AveragePass@1": float(verdict.correct)},
            verdict.extracted,
        )
