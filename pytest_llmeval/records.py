"""The typed data passed along the path of one sample, and the one place records are built.

Sample → (client) → Response(s) gathered in an Outcome → (scorer) → Verdict → SampleRecord →
(controller) → Row. A SampleRecord crosses xdist's wire and is written to samples.jsonl as plain
data (`to_dict`), and read back (`from_dict`) by the controller, the viewer and a baseline run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .scoring.stats import Estimate

SCHEMA_VERSION = 1
"""Version of the samples.jsonl record; bumped when a field changes meaning or is removed."""

VerdictName = Literal["passed", "failed", "error", "refused"]


class SerializedOnce(list):  # type: ignore[type-arg]
    """A request value that is not changed once made, so the cache key writes its JSON once
    (`canonical`): a BFCL conversation's tools go with each of its steps, 86% of the text a
    multi-turn run hashes."""

    canonical: str | None = None


@dataclass(frozen=True)
class Sample:
    """One benchmark question, ready to send."""

    id: str
    dataset: str
    subset: str
    messages: list[dict[str, Any]]
    target: Any = None
    category: str = "default"
    tools: list[dict[str, Any]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCall:
    """A function call as the service returned it; `arguments` stays the raw JSON text."""

    name: str
    arguments: str
    id: str = ""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls

    @classmethod
    def total(cls, usages: Any) -> Usage:
        total = cls()
        for usage in usages:
            total.add(usage)
        return total


@dataclass
class Response:
    """One chat completion: the answer kept apart from any reasoning text."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    attempts: int = 1
    cached: bool = False
    null_content: bool = False
    """The message's content was JSON null (``text`` is then ""), so a record says what came."""
    listed_tool_calls: bool = False
    """The message carried a ``tool_calls`` list, perhaps an empty one."""

    @property
    def refused(self) -> bool:
        return self.finish_reason == "content_filter"

    def message(self) -> dict[str, Any]:
        """The assistant message to append to a conversation that continues."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            msg["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return msg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def reply(self) -> dict[str, Any]:
        """What the model sent, as a record keeps it (no timing or usage): a null content is
        ``None``; ``tool_calls`` is ``None`` when the message had no list, ``[]`` when empty."""
        listed = self.listed_tool_calls or bool(self.tool_calls)
        return {
            "text": None if self.null_content else self.text,
            "reasoning": self.reasoning,
            "tool_calls": [asdict(call) for call in self.tool_calls] if listed else None,
            "finish_reason": self.finish_reason,
        }


@dataclass
class Outcome:
    """Everything one sample's run produced: model calls, judge calls, the conversation."""

    responses: list[Response] = field(default_factory=list)
    judge_responses: list[Response] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> Response:
        return self.responses[-1] if self.responses else Response()


@dataclass
class Verdict:
    """The scorer's decision on one sample; `metrics` are this sample's values per metric."""

    passed: bool
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    extracted: Any = None
    tags: list[str] = field(default_factory=list)


HEAVY = {"heavy": True}
"""Metadata of a field kept in samples.jsonl but dropped from the controller's summary."""


@dataclass
class SampleRecord:
    """One sample and repeat, scored: a line of samples.jsonl and the unit of every report."""

    dataset: str
    subset: str
    sample_id: str
    repeat: int = 0
    nodeid: str = ""
    category: str = "default"
    cluster: str = ""
    """Samples of one cluster are not independent (error bars); default: the sample id."""
    verdict: VerdictName = "failed"
    passed: bool = False
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    scored: bool = True
    """Counted in Num (a failed call is not, unless --llm-ignore-errors scores it 0)."""
    error: str | None = None
    error_kind: str | None = None
    usage: Usage = field(default_factory=Usage)
    judge_usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    attempts: int = 0
    cached: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list, metadata=HEAVY)
    response: dict[str, Any] = field(default_factory=dict, metadata=HEAVY)
    """The final model reply (text, reasoning, tool_calls, finish_reason)."""
    responses: list[dict[str, Any]] = field(default_factory=list, metadata=HEAVY)
    """Every model reply in order (multi-turn: one per step), as `response`."""
    extracted: Any = field(default=None, metadata=HEAVY)
    target: Any = field(default=None, metadata=HEAVY)
    labels: dict[str, Any] = field(default_factory=dict, metadata=HEAVY)
    extra: dict[str, Any] = field(default_factory=dict, metadata=HEAVY)
    schema: int = SCHEMA_VERSION

    @property
    def key(self) -> tuple[str, str, int]:
        """What joins one sample across runs (baselines, shards, compare)."""
        return (self.dataset, self.sample_id, self.repeat)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (built-in types only) for xdist's wire and samples.jsonl. (`vars` of a
        Usage, not `asdict`: twice per sample, asdict's deep copy of three ints was a tenth
        of the harness's own cost per sample.)"""
        data = {name: getattr(self, name) for name in RECORD_FIELDS}
        data["usage"], data["judge_usage"] = dict(vars(self.usage)), dict(vars(self.judge_usage))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleRecord:
        """Read a record written by this or an older version (missing fields: defaults)."""
        values = {k: v for k, v in data.items() if k in KNOWN_FIELDS}
        values["usage"] = Usage(**data.get("usage") or {})
        values["judge_usage"] = Usage(**data.get("judge_usage") or {})
        record = cls(**values)
        if "verdict" not in data:
            record.verdict = verdict_name(record.passed, record.error, record.tags)
        record.cluster = record.cluster or record.sample_id
        return record

    def summary(self) -> SampleRecord:
        """A copy without the conversation and texts: what the controller keeps in memory."""
        return SampleRecord(**{name: getattr(self, name) for name in SUMMARY_FIELDS})


RECORD_FIELDS = tuple(f.name for f in fields(SampleRecord))
KNOWN_FIELDS = frozenset(RECORD_FIELDS)
SUMMARY_FIELDS = tuple(f.name for f in fields(SampleRecord) if not f.metadata)
"""What aggregation, gates and usage lines read from a record."""


def summary_data(data: dict[str, Any]) -> dict[str, Any]:
    """`SampleRecord.summary` of a record's plain data, as plain data: what crosses xdist's
    wire and what a report keeps."""
    return {name: data[name] for name in SUMMARY_FIELDS if name in data}


def verdict_name(passed: bool, error: str | None, tags: list[str]) -> VerdictName:
    if error is not None:
        return "error"
    if "refused" in tags:
        return "refused"
    return "passed" if passed else "failed"


REASON_LINE_CHARS = 200


def reason_line(reason: str, error: str | None = None, error_kind: str | None = None) -> str:
    """What a report shows of a record in one line: the failed call, else the checker's
    reason; its first line, cut short (the whole text is in samples.jsonl)."""
    text = f"{error_kind or 'call'} error: {error}" if error else reason
    lines = text.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= REASON_LINE_CHARS else first[: REASON_LINE_CHARS - 1] + "…"


@dataclass
class Row:
    """One line of the summary table (and of report.json / report.csv)."""

    model: str
    dataset: str
    metric: str
    subset: str
    num: int
    score: float | None
    category: str = "-"
    errors: int = 0
    se: float | None = None
    """Standard error of `score` (None: undefined, e.g. one sample, or not computed)."""
    ci_low: float | None = None
    ci_high: float | None = None
    """The 95% confidence interval of `score` (None when it cannot be formed)."""
    ci_method: str | None = None
    """How se and the interval were computed: a `scoring.stats.Estimate` method (wilson,
    wilson-clustered, t-repeats, weighted, delta-wilson, ...)."""
    n_clusters: int | None = None
    """Independent units the SE is computed over (clusters, problems); None: the samples."""
    df: float | None = None
    """Degrees of freedom of the t quantile behind the interval (None when unused)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_estimate(self, estimate: Estimate | None) -> Row:
        """This row with the uncertainty of `estimate` (unchanged when there is none);
        figures that are not finite numbers are stored as None."""
        if estimate is None:
            return self
        return replace(
            self,
            se=_finite(estimate.se),
            ci_low=_finite(estimate.ci_low),
            ci_high=_finite(estimate.ci_high),
            ci_method=estimate.method,
            n_clusters=estimate.clusters,
            df=_finite(estimate.df),
        )

    @property
    def half_width(self) -> float | None:
        """Half the width of the 95% interval: the ± the table shows."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def plain(value: Any) -> Any:
    """Built-in types only (tuples become lists), so xdist and JSON carry it unchanged."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
