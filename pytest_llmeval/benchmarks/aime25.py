"""AIME 2025: 30 integer-answer problems, scored with math-verify, AveragePass@1 over repeats.

Hub copy ``opencompass/AIME2025`` (configs AIME2025-I / AIME2025-II, split test, fields
question/answer); other copies (``math-ai/aime25``: problem/answer) load through the field lists.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from ..data import DataError, pick
from ..scoring.passk import pass_at_k
from .base import Rows
from .common import BOXED_PROMPT, MathBenchmark

PROMPT = BOXED_PROMPT
SUBSET_FIELDS = ("subset", "config", "part")

__all__ = ["PROMPT", "Aime25", "pass_at_k"]


class Aime25(MathBenchmark):
    name = "aime25"
    subsets = ("AIME2025-I", "AIME2025-II")
    hub_path = "opencompass/AIME2025"
    hub_configs = {s: s for s in subsets}  # noqa: RUF012 (read-only)
    data_help = "a folder with AIME2025-I.jsonl and AIME2025-II.jsonl (fields question, answer)"

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
