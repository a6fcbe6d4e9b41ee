"""MATH-500: 500 problems of the MATH test set (the "Let's Verify Step by Step" selection),
answers that are LaTeX expressions, checked with math-verify; AveragePass@1 and pass@k.

Hub copy ``HuggingFaceH4/MATH-500`` (split test, fields problem/solution/answer/subject/level/
unique_id). Subsets: EvalScope's, the five difficulty levels ``Level 1`` … ``Level 5`` (its
adapter reports nothing else); ``--llm-math500-subsets=subject`` groups by the seven MATH
subjects instead (one table holds one grouping: a sample has one subset). Both groupings send
the same requests, so against the same endpoint the second is read from the response cache.
Sample ids are the hub's ``unique_id``s, the same under both. Prompt: EvalScope's math_500
template, ``{problem}\\nPlease reason step by step, and put your final answer within \\boxed{}.``
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from ..config import Option, parse_choice
from ..data import DataError, pick
from .base import Rows
from .common import MathBenchmark

LEVELS = tuple(f"Level {n}" for n in range(1, 6))
SUBJECTS = (
    "Algebra",
    "Counting & Probability",
    "Geometry",
    "Intermediate Algebra",
    "Number Theory",
    "Prealgebra",
    "Precalculus",
)
GROUPING = Option(
    "--llm-math500-subsets",
    "math_500 subsets: level (Level 1..5, EvalScope's) or subject (the seven MATH subjects)",
    default="level",
    parse=parse_choice("level", "subject"),
)


def level_name(value: Any) -> str:
    """``3``, ``"3"`` or ``"Level 3"`` as ``"Level 3"``."""
    text = str(value).strip()
    return text if text.lower().startswith("level") else f"Level {text}"


class Math500(MathBenchmark):
    name = "math_500"
    hub_path = "HuggingFaceH4/MATH-500"
    hub_split = "test"
    options = (GROUPING,)
    question_fields = ("problem", "question")
    answer_fields = ("answer",)
    data_help = "a JSONL/JSON/CSV/parquet file with problem, answer, subject, level, unique_id"

    @property
    def by_subject(self) -> bool:
        return self.option("--llm-math500-subsets") == "subject"

    @property
    def subsets(self) -> tuple[str, ...]:  # type: ignore[override]
        return SUBJECTS if self.by_subject else LEVELS

    def group(self, rows: list[dict[str, Any]], source: Path) -> Rows:
        """Rows by level (or subject); a value outside the known ones is a data error, not a
        row silently left out."""
        grouped: Rows = defaultdict(list)
        for row in rows:
            if self.by_subject:
                subset = str(pick(row, ("subject",), "subject")).strip()
            else:
                subset = level_name(pick(row, ("level",), "level"))
            if subset not in self.subsets:
                raise DataError(
                    f"{source}: unknown {'subject' if self.by_subject else 'level'} "
                    f"{subset!r} (known: {', '.join(self.subsets)})"
                )
            grouped[subset].append(row)
        return grouped

    def sample_id(self, subset: str, index: int, row: dict[str, Any]) -> str:
        """The hub's ``unique_id`` (``test/precalculus/1303.json`` → ``precalculus-1303``), the
        same under either grouping; else the position in the subset."""
        unique = row.get("unique_id")
        if not unique:
            return f"{subset.replace(' ', '')}-{index}"
        return str(unique).removeprefix("test/").removesuffix(".json").replace("/", "-")

    def labels(self, row: dict[str, Any]) -> dict[str, Any]:
        keys = ("subject", "level", "unique_id")
        found = {k: row[k] for k in keys if row.get(k) is not None}
        if "level" in found:
            found["level"] = level_name(found["level"])
        return found
