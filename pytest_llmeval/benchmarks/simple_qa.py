"""SimpleQA and Chinese SimpleQA: short factual questions graded by an LLM judge.

The judge sees question, gold target and the model's answer and replies with one grade
(CORRECT / INCORRECT / NOT_ATTEMPTED). An unparseable reply is asked again (a fresh call, not
a cache replay) a bounded number of times, then recorded as a judge error with the raw reply:
counted in the report's Errors, never scored as incorrect.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..config import Option
from ..data import DataError, pick
from ..records import Outcome, Sample, SampleRecord, Verdict
from ..reporting.compare import OVERALL, ComparisonRow, Pairing, derived_row
from ..scoring.judge import (
    CHINESE_SIMPLEQA_GRADER_TEMPLATE,
    SIMPLEQA_GRADER_TEMPLATE,
    Grade,
    GradeCounts,
    grade_metrics,
    grader_messages,
    load_template,
    parse_grade,
)
from ..scoring.stats import (
    CORRECT_GIVEN_ATTEMPTED,
    F_SCORE,
    Estimate,
    correct_given_attempted_estimate,
    f_score_estimate,
)
from .base import Benchmark, JudgeError, Rows, RunContext, cluster_keys

JUDGE_ATTEMPTS = 3
GRADE_METRICS = ("is_correct", "is_incorrect", "is_not_attempted")
DERIVED_METRICS = ("correct_given_attempted", "f_score")


def _template_file(value: Any, flag: str) -> Path | None:
    """The grader template must read and hold its placeholders: checked before any call."""
    if not value:
        return None
    try:
        load_template(Path(value))
    except (OSError, ValueError) as error:
        raise pytest.UsageError(f"{flag}: {error}") from None
    return Path(value)


JUDGE_TEMPLATE = Option(
    "--llm-judge-template", "file replacing the grader prompt", parse=_template_file
)


async def judge_grade(
    ctx: RunContext, template: str, question: str, target: str, predicted: str
) -> Grade:
    """Ask the judge for one grade, again (a fresh call) while its reply names none; the last
    reply and the grade land in ``ctx.outcome.extra``. No grade after the last attempt is a
    JudgeError carrying the raw reply."""
    messages = grader_messages(template, question, target, predicted)
    extra = ctx.outcome.extra
    for attempt in range(JUDGE_ATTEMPTS):
        reply = await ctx.judge(messages, attempt)
        extra["judge_reply"] = reply.text
        grade = parse_grade(reply.text)
        if grade is not None:
            extra["grade"] = grade.value
            return grade
    raise JudgeError(
        f"no grade in the judge's reply after {JUDGE_ATTEMPTS} attempts: {reply.text[:200]!r}"
    )


class SimpleQA(Benchmark):
    name = "simple_qa"
    metrics = GRADE_METRICS
    derived = DERIVED_METRICS
    options = (JUDGE_TEMPLATE,)
    needs_judge = True
    score_refusals = True  # the judge grades what the service sent (nothing: not attempted)
    hub_path: ClassVar[str] = "basicv8vc/SimpleQA"
    hub_split: ClassVar[str] = "test"
    grader_template: ClassVar[str] = SIMPLEQA_GRADER_TEMPLATE
    instruction: ClassVar[str] = "Answer the following question.\n\n{question}"
    data_help = "a JSONL/CSV/parquet file with problem, answer, metadata"

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        question = str(pick(row, ("problem", "question"), "question"))
        return Sample(
            id=str(row.get("id", index)),
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": self.instruction.format(question=question)}],
            target=str(pick(row, ("answer",), "answer")),
            category=self.category(subset),
            meta={"question": question, "labels": self._labels(row)},
        )

    @staticmethod
    def _labels(row: dict[str, Any]) -> dict[str, Any]:
        """The metadata string holds a Python dict literal (topic, answer_type, urls)."""
        metadata = row.get("metadata")
        if isinstance(metadata, str):
            try:
                metadata = ast.literal_eval(metadata)
            except (ValueError, SyntaxError):
                return {}
        if not isinstance(metadata, dict):
            return {}
        return {k: metadata[k] for k in ("topic", "answer_type") if k in metadata}

    # -- calls -----------------------------------------------------------------------------
    @functools.cached_property
    def template(self) -> str:
        path = self.option("--llm-judge-template")
        return load_template(path) if path else self.grader_template

    async def generate(self, sample: Sample, ctx: RunContext) -> None:
        await super().generate(sample, ctx)
        await judge_grade(
            ctx, self.template, sample.meta["question"], sample.target, ctx.outcome.final.text
        )

    # -- scoring ---------------------------------------------------------------------------
    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        grade = Grade(outcome.extra["grade"])
        reason = (
            "correct" if grade is Grade.CORRECT else f"judge: {grade.value} (gold: {sample.target})"
        )
        return Verdict(grade is Grade.CORRECT, reason, grade_metrics(grade), outcome.final.text)

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        """The three grade shares, plus the paper's correct_given_attempted and f_score."""
        counts = GradeCounts(
            correct=sum(r.metrics.get("is_correct", 0.0) == 1.0 for r in records),
            incorrect=sum(r.metrics.get("is_incorrect", 0.0) == 1.0 for r in records),
            not_attempted=sum(r.metrics.get("is_not_attempted", 0.0) == 1.0 for r in records),
        )
        shares = counts.metrics()
        if len(records) != counts.judged:  # errors scored 0 with --llm-ignore-errors
            for metric in GRADE_METRICS:
                shares[metric] = getattr(counts, metric.removeprefix("is_")) / len(records)
        return {metric: shares[metric] for metric in (*GRADE_METRICS, *DERIVED_METRICS)}

    def estimates(self, records: Sequence[SampleRecord]) -> dict[str, Estimate]:
        """The grade shares as means (Wilson); correct_given_attempted and f_score by the delta
        method over the judged records (`correct_given_attempted_estimate`: Wilson on the
        attempted ones; `f_score_estimate`: t interval), as `aggregate` computes them."""
        estimates = super().estimates(records)
        judged = [r for r in records if any(r.metrics.get(m) == 1.0 for m in GRADE_METRICS)]
        if judged:
            correct = [r.metrics.get("is_correct", 0.0) for r in judged]
            incorrect = [r.metrics.get("is_incorrect", 0.0) for r in judged]
            clusters = cluster_keys(judged)
            estimates["correct_given_attempted"] = correct_given_attempted_estimate(
                correct, incorrect, clusters
            )
            estimates["f_score"] = f_score_estimate(correct, incorrect, clusters)
        return estimates

    def compare(self, pairing: Pairing) -> list[ComparisonRow]:
        """The grade shares per subset and OVERALL, then correct_given_attempted and f_score
        by the paired delta method (`derived_row`)."""
        rows = super().compare(pairing)
        subsets = [*dict.fromkeys(p.ref.subset for p in pairing.pairs), OVERALL]
        columns = ("is_correct", "is_incorrect")
        for metric, figure in zip(DERIVED_METRICS, (CORRECT_GIVEN_ATTEMPTED, F_SCORE)):
            for subset in subsets:
                row = derived_row(pairing, self.name, metric, columns, figure, subset=subset)
                if row is not None:
                    rows.append(row)
        return rows


CHINESE_SUBSETS = {
    "中华文化": "Chinese Culture",
    "人文与社会科学": "Humanities & Social",
    "工程、技术与应用科学": "Engineering & Tech",
    "生活、艺术与文化": "Life, Arts & Culture",
    "社会": "Society",
    "自然与自然科学": "Nature & Science",
}


class ChineseSimpleQA(SimpleQA):
    name = "chinese_simpleqa"
    subsets = tuple(CHINESE_SUBSETS.values())
    hub_path = "OpenStellarTeam/Chinese-SimpleQA"
    hub_split = "train"
    grader_template = CHINESE_SIMPLEQA_GRADER_TEMPLATE
    instruction = "请回答下面的问题。\n\n{question}"
    data_help = "a JSONL/CSV/parquet file with id, primary_category, question, answer"

    def group(self, rows: list[dict[str, Any]], source: Path) -> Rows:
        """Subsets are the six primary categories, under the seed table's English names."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            category = str(pick(row, ("primary_category",), "primary_category"))
            subset = CHINESE_SUBSETS.get(category, category)
            if subset not in self.subsets:
                raise DataError(f"unknown primary_category {category!r}")
            grouped.setdefault(subset, []).append(row)
        return grouped

    @staticmethod
    def _labels(row: dict[str, Any]) -> dict[str, Any]:
        return (
            {"secondary_category": row["secondary_category"]} if "secondary_category" in row else {}
        )
