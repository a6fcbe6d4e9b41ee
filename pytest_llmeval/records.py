"""Plain data passed along the path of one sample.

Sample → (client) → Response(s) gathered in an Outcome → (scorer) → Verdict → SampleRecord.
Everything here is built from built-in types so records can cross xdist's wire.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
