"""What a benchmark is: its data, its options, how one sample talks to the model, how it is
scored and aggregated.

A benchmark never talks HTTP itself: it receives a RunContext whose ``chat`` and ``judge``
coroutines go through the shared client (cache, retries, concurrency), and everything it
learns lands in ``ctx.outcome`` so that even a sample that fails half-way keeps what it saw.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..config import Option
from ..data import DataError, pick, read_hub, read_local
from ..errors import HarnessError, JudgeError, ServiceError
from ..records import Outcome, Response, Sample, SampleRecord, Verdict
from ..reporting.compare import ComparisonRow, Pairing, compare_rows
from ..scoring.passk import pass_at_k_metrics, pass_at_k_names
from ..scoring.stats import Estimate, mean_estimate

if TYPE_CHECKING:
    from ..client import ModelClient

SAMPLE_HEADER = "X-LLMEval-Sample"
Rows = dict[str, list[dict[str, Any]]]


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


@dataclass(frozen=True)
class ExtraRows:
    """Figures a benchmark reports beyond per-subset means (an official aggregate, say):
    the metric's name and the groups it is reported for, declared once."""

    metric: str
    groups: tuple[str, ...]


class Benchmark:
    """Subclass it: set `name`, `subsets`, `metrics`; give `sample` (one row → Sample) and
    `score`. Override `generate` for samples of several calls, `aggregate` for metrics that
    are not means of per-sample values."""

    name: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]] = ("AverageAccuracy",)
    """Per-sample metric values (a Verdict's `metrics`), reported as their means."""
    derived: ClassVar[tuple[str, ...]] = ()
    """Metrics `aggregate` computes from the records beyond the means."""
    extra: ClassVar[ExtraRows | None] = None
    subsets: ClassVar[tuple[str, ...]] = ("default",)
    options: ClassVar[tuple[Option, ...]] = ()
    """Settings of this benchmark: added to pytest's CLI and ini by the plugin."""
    needs_judge: ClassVar[bool] = False
    score_refusals: ClassVar[bool] = False
    """False: a refused request scores 0 with reason "refused" without calling `score`."""
    data_help: ClassVar[str] = ""
    hub_path: ClassVar[str | None] = None
    hub_split: ClassVar[str] = "test"
    hub_configs: ClassVar[dict[str, str] | None] = None
    """Hub config per subset when each subset is a config of its own (AIME's I and II)."""

    def __init__(self, options: dict[str, Any] | None = None, repeats: int = 1) -> None:
        self._option_values = options or {}
        self.repeats = repeats

    def option(self, flag: str) -> Any:
        """The value of one of this benchmark's declared options (``--llm-bfcl-mode``)."""
        declared = {opt.flag: opt for opt in self.options}[flag]
        return self._option_values.get(declared.dest, declared.default)

    # -- what a run needs beyond data -------------------------------------------------------
    def prepare(self) -> None:
        """Check what this benchmark needs besides its data (a tool installed, say), once per
        process before `load`; raise DataError with one line saying how to fix it. The line is
        shown without --llm-data's offline hint, which `load`'s errors get."""

    def notices(self) -> list[str]:
        """Lines the user must see about this run's settings (one that weakens a guarantee):
        printed under the table and kept in report.json. Computed from the options alone."""
        return []

    # -- data ------------------------------------------------------------------------------
    def load(self, source: str | None) -> list[Sample]:
        """All samples, in the data's order; `source` is the --llm-data path or None (hub)."""
        rows = self.read_rows(source)
        return [
            self.sample(subset, index, row)
            for subset in self.subsets
            for index, row in enumerate(rows.get(subset, []))
        ]

    def read_rows(self, source: str | None) -> Rows:
        """Rows by subset, from the hub or from a local file or folder in the hub's schema."""
        if source is None:
            if self.hub_path is None:
                raise DataError(f"{self.name} has no hub copy: pass --llm-data {self.name}=PATH")
            if self.hub_configs:
                return {
                    subset: read_hub(self.hub_path, config, self.hub_split)
                    for subset, config in self.hub_configs.items()
                }
            return self.group(read_hub(self.hub_path, None, self.hub_split), Path(self.hub_path))
        path = Path(source)
        local = read_local(path, self.subsets)
        single = local.pop("", None)
        return local if single is None else self.group(single, path)

    def source_label(self, source: str | None) -> str:
        """Where the data came from, for report.json: the --llm-data path or the hub id."""
        return source or f"hub:{self.hub_path}"

    def load_notes(self) -> dict[str, Any]:
        """Facts about the data `load` read that no sample carries (MMLU-Redux: the questions
        it excluded, by reason); the report lists them with the benchmark's data source."""
        return {}

    def group(self, rows: list[dict[str, Any]], source: Path) -> Rows:
        """Rows of one file by subset: the default keeps them all in the only subset."""
        if len(self.subsets) == 1:
            return {self.subsets[0]: rows} if rows else {}
        grouped: Rows = defaultdict(list)
        for row in rows:
            grouped[str(pick(row, ("subset",), "subset"))].append(row)
        return grouped

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        """One row as a Sample (use `self.category(subset)` for its Cat.0)."""
        raise NotImplementedError

    def category(self, subset: str) -> str:
        """The Cat.0 column of the table."""
        return "default"

    def cluster(self, sample: Sample) -> str:
        """Samples that share a cluster are not independent (error bars): by default the
        repeats of one sample form one cluster."""
        return sample.id

    # -- calls and scoring -----------------------------------------------------------------
    async def generate(self, sample: Sample, ctx: RunContext) -> None:
        """Make this sample's calls; the default sends its messages once."""
        response = await ctx.chat(sample.messages, sample.tools)
        ctx.outcome.messages = [*sample.messages, response.message()]

    async def evaluate(self, sample: Sample, outcome: Outcome) -> None:
        """Work on the calls' outcome that needs no model (running the model's programs), put
        in `outcome.extra` for `score` to read. It runs after `generate`, on the same loop but
        outside --llm-concurrency's bound on samples in their calls, so a slow program never
        keeps the next samples' calls from starting. Make no calls here. Raise HarnessError
        when a tool of the harness fails (not the model's fault): the sample's error."""

    def score_ahead(self, sample: Sample, outcome: Outcome) -> bool:
        """True: this sample's `score` is slow and safe on any thread, several at once
        (math-verify in its child process, say): the runtime scores it as soon as its calls are
        done, on a scoring thread, beside the next calls, and the test body finds the verdict
        ready. False (the default, and right for a verdict that costs less than the hop to a
        thread): scored in the test body."""
        return False

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        raise NotImplementedError

    def verdict(self, sample: Sample, outcome: Outcome) -> Verdict:
        """`score`, with the service's refusals handled the same way for every benchmark."""
        if not outcome.final.refused:
            return self.score(sample, outcome)
        if not self.score_refusals:
            return Verdict(False, "refused", self.unscored_metrics(sample), tags=["refused"])
        verdict = self.score(sample, outcome)
        verdict.tags = [*verdict.tags, "refused"]
        return verdict

    def unscored_metrics(self, sample: Sample) -> dict[str, float]:
        """The metric values of a sample scored 0 without `score` (a refusal, or a failed call
        under --llm-ignore-errors): zeros, plus whatever `aggregate` needs to weigh it."""
        return dict.fromkeys(self.metrics, 0.0)

    # -- aggregation -----------------------------------------------------------------------
    def figures(self) -> tuple[list[str], list[str]]:
        """The metric and subset names this benchmark reports; thresholds are checked on them."""
        metrics = [*self.metrics, *self.derived]
        subsets = list(self.subsets)
        if self.extra is not None:
            metrics.append(self.extra.metric)
            subsets += [g for g in self.extra.groups if g != "OVERALL"]
        return metrics, subsets

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        """Metric values over a group of scored records (a subset, or all of them for OVERALL)."""
        return {
            metric: statistics.fmean(r.metrics.get(metric, 0.0) for r in records)
            for metric in self.metrics
        }

    def extra_rows(self, records: Sequence[SampleRecord]) -> dict[str, tuple[float, int]]:
        """The `extra` metric per group: (score, num). Empty when there is none."""
        return {}

    def group_subsets(self, group: str) -> tuple[str, ...]:
        """The subsets an `extra` group covers (its Errors are theirs): by default all."""
        return self.subsets

    # -- uncertainty and comparison with a baseline (specs/statistics.md) ------------------
    def estimates(self, records: Sequence[SampleRecord]) -> dict[str, Estimate]:
        """Each figure of `aggregate` over the same records with its standard error and 95%
        interval (`scoring.stats`), by metric. The default fits means of per-sample values:
        `mean_estimate` of each of `metrics` (Wilson for 0/1 scores), clustered by the
        records' `cluster` when a cluster holds several records (repeats). Override it with
        `aggregate` for figures that are not such means; a metric left out has no error bar."""
        clusters = cluster_keys(records)
        return {
            metric: mean_estimate([r.metrics.get(metric, 0.0) for r in records], clusters)
            for metric in self.metrics
        }

    def extra_estimates(self, records: Sequence[SampleRecord]) -> dict[str, Estimate]:
        """The uncertainty of each group of `extra_rows`, by group. Empty when there is none."""
        return {}

    def compare(self, pairing: Pairing) -> list[ComparisonRow]:
        """This benchmark's figures in a new run against a baseline, over the samples scored
        in both (`pairing` holds this dataset's samples only). The default compares the
        per-sample metrics per subset and OVERALL (`reporting.compare.compare_rows`); add
        rows for derived and `extra` figures (`weighted_row`, `derived_row`,
        `per_cluster_row`). A gate on a figure without a row fails as not compared."""
        return compare_rows(pairing)


def cluster_keys(records: Sequence[SampleRecord]) -> list[str] | None:
    """The records' cluster keys when some cluster holds several records, else None (every
    sample its own unit: the plain CLT forms)."""
    keys = [r.cluster or r.sample_id for r in records]
    return keys if len(set(keys)) < len(keys) else None


__all__ = [
    "Benchmark",
    "DataError",
    "ExtraRows",
    "HarnessError",
    "JudgeError",
    "RunContext",
    "cluster_keys",
    "pass_at_k_metrics",
    "pass_at_k_names",
    "pick",
]
