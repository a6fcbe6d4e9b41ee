"""HMMT February 2025: 30 competition problems whose answers are expressions, math-verify, pass@k.

Hub copy ``MathArena/hmmt_feb_2025`` (split train, fields problem_idx/problem/answer/
problem_type, the last a list such as ``["Number Theory"]``, kept in each record's labels).
Prompt: EvalScope's hmmt25 template (``Problem:\\n{problem}\\n\\nPlease reason step by step,
and put your final answer within \\boxed{}.\\n``).
"""

from __future__ import annotations

from typing import Any

from .common import MathBenchmark

PROMPT = (
    "Problem:\n{question}\n\n"
    "Please reason step by step, and put your final answer within \\boxed{{}}.\n"
)


class Hmmt25(MathBenchmark):
    name = "hmmt25"
    hub_path = "MathArena/hmmt_feb_2025"
    hub_split = "train"
    prompt = PROMPT
    data_help = "a JSONL/JSON/CSV/parquet file with problem_idx, problem, answer"

    def sample_id(self, subset: str, index: int, row: dict[str, Any]) -> str:
        return str(row.get("problem_idx", index))

    def labels(self, row: dict[str, Any]) -> dict[str, Any]:
        kind = row.get("problem_type")
        if kind is None:
            return {}
        return {"problem_type": [kind] if isinstance(kind, str) else [str(k) for k in kind]}
