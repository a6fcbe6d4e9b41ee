"""An example benchmark pack: short questions, answers compared by exact match.

Everything a benchmark author writes is here: the class, its data (a file shipped in the
package, so the benchmark runs with no --llm-data), and the entry point in pyproject.toml.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from pytest_llmeval.benchmarks import Benchmark
from pytest_llmeval.data import read_table
from pytest_llmeval.records import Outcome, Sample, Verdict

PROMPT = "Answer with one word or number only.\n\n{question}"


def normalise(text: str) -> str:
    return " ".join(text.strip().strip(".").casefold().split())


class ExactMatch(Benchmark):
    name = "exact_match"
    subsets = ("arithmetic", "capitals")
    metrics = ("accuracy",)
    data_help = "a JSONL file with question, answer and subset fields"

    def read_rows(self, source: str | None) -> dict[str, list[dict[str, Any]]]:
        """Without --llm-data, the file shipped in this package."""
        if source is None:
            data = resources.files(__package__) / "data" / "questions.jsonl"
            with resources.as_file(data) as path:
                return self.group(read_table(path), path)
        return super().read_rows(source)

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        return Sample(
            id=f"{subset}-{index}",
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": PROMPT.format(question=row["question"])}],
            target=str(row["answer"]),
            category=self.category(subset),
        )

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        answer = outcome.final.text
        correct = normalise(answer) == normalise(sample.target)
        reason = "correct" if correct else f"expected {sample.target!r}, got {answer[:80]!r}"
        return Verdict(correct, reason, {"accuracy": float(correct)}, answer)
