"""AIME 2024: the 30 problems of AIME 2024 I and II, integer answers, math-verify, pass@k.

Hub copy ``math-ai/aime24`` (split test, fields id/problem/solution/url, where ``solution`` is
the boxed answer, ``\\boxed{204}``). ``HuggingFaceH4/aime_2024`` (problem/answer, with
``solution`` the written solution) loads too: ``answer`` is read before ``solution``.

Prompt: the one of our aime25 (``{problem}\\nPlease reason step by step, and put your final
answer within \\boxed{}.``), EvalScope's for aime24 and aime25 alike up to v1.1; EvalScope
moved both to another wording in v1.2, and scores of the two years stay comparable here only if
they share one prompt.
"""

from __future__ import annotations

from typing import Any

from .common import MathBenchmark


class Aime24(MathBenchmark):
    name = "aime24"
    hub_path = "math-ai/aime24"
    hub_split = "test"
    data_help = "a JSONL/JSON/CSV/parquet file with problem and solution (or answer)"

    def sample_id(self, subset: str, index: int, row: dict[str, Any]) -> str:
        return str(row.get("id", index))

    def labels(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"url": row["url"]} if row.get("url") else {}
