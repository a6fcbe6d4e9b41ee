"""What a benchmark is: data, how one sample talks to the model, and how it is scored.

A benchmark never talks HTTP itself: it receives a RunContext whose ``chat`` and ``judge``
coroutines go through the shared client (cache, retries, concurrency), and everything it
learns lands in ``ctx.outcome`` so that even a sample that fails half-way keeps what it saw.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..config import RunConfig
from ..errors import JudgeError, ServiceError
from ..records import Outcome, Response, Sample, Verdict

if TYPE_CHECKING:
    from ..client import ModelClient

SAMPLE_HEADER = "X-LLMEval-Sample"


@dataclass
class RunContext:
    """The door from one sample to the services; records every response as it comes."""

    model: ModelClient
    judge_client: ModelClient | None = None
    repeat: int = 0
    outcome: Outcome = field(default_factory=Outcome)
    tag: str | None = None
    """Sent as the X-LLMEval-Sample header when set (--llm-sample-header), to match server
    logs to samples; never part of the cache key."""

    @property
    def _headers(self) -> dict[str, str] | None:
        return {SAMPLE_HEADER: self.tag} if self.tag else None

    async def chat(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, **kw: Any
    ) -> Response:
        response = await self.model.chat(
            messages, tools, salt=f"r{self.repeat}", headers=self._headers, **kw
        )
        self.outcome.responses.append(response)
        return response

    async def judge(self, messages: list[dict[str, Any]], attempt: int = 0) -> Response:
        """A judge call; `attempt` salts the cache so a retry is a fresh call, not a replay."""
        if self.judge_client is None:
            raise JudgeError("no judge configured")
        try:
            response = await self.judge_client.chat(
                messages, salt=f"r{self.repeat}-j{attempt}", headers=self._headers
            )
        except ServiceError as error:
            raise JudgeError(f"judge call failed: {error}") from None
        self.outcome.judge_responses.append(response)
        return response


class Benchmark:
    """Base class: override `load` and `score`; `run` defaults to one chat call."""

    name: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]] = ("AverageAccuracy",)
    subsets: ClassVar[tuple[str, ...]] = ("default",)
    needs_judge: ClassVar[bool] = False
    data_help: ClassVar[str] = ""

    def __init__(self, config: RunConfig) -> None:
        self.config = config

    def load(self, source: str | None) -> list[Sample]:
        """All samples, in the data's order; `source` is the --llm-data path or None (hub)."""
        raise NotImplementedError

    def figures(self) -> tuple[list[str], list[str]]:
        """The metric and subset names this benchmark reports; thresholds are checked on them."""
        return list(self.metrics), list(self.subsets)

    def category(self, subset: str) -> str:
        """The Cat.0 column of the table."""
        return "default"

    async def run(self, sample: Sample, ctx: RunContext) -> None:
        """Make this sample's calls; the default sends its messages once."""
        response = await ctx.chat(sample.messages, sample.tools)
        ctx.outcome.messages = [*sample.messages, response.message()]

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        raise NotImplementedError

    def aggregate(self, records: list[dict[str, Any]]) -> dict[str, float]:
        """Metric values over a group of scored records (a subset, or all of them for OVERALL)."""
        return {
            metric: statistics.fmean(r["metrics"].get(metric, 0.0) for r in records)
            for metric in self.metrics
        }

    def extra_rows(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows beyond the per-subset ones, e.g. an official aggregate; label them clearly."""
        return []
