"""pytest-html integration: the summary table on top, short per-sample details in each row.

pytest-html renders one JSON blob in the browser, so per-sample extras stay short (long texts
are cut) and point at samples.jsonl, which holds every record in full.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import pytest

from ..records import SampleRecord
from ..redact import printable
from .table import table_html

MAX_TEXT = 500


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"… [{len(text) - limit} more chars in samples.jsonl]"
    )


def _last_user_message(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def sample_extra_html(record: SampleRecord) -> str:
    """The record's essentials: prompt, response, tool calls, answer, target, verdict, reason."""
    response = record.response
    fields = [
        (
            "sample",
            f"{record.dataset} / {record.subset} / {record.sample_id} (repeat {record.repeat})",
        ),
        ("prompt", _last_user_message(record.messages)),
        ("response", response["text"]),
        ("reasoning", response["reasoning"]),
        (
            "tool calls",
            json.dumps(response["tool_calls"], ensure_ascii=False)
            if response["tool_calls"]
            else "",
        ),
        (
            "extracted",
            "" if record.extracted is None else json.dumps(record.extracted, ensure_ascii=False),
        ),
        ("target", json.dumps(record.target, ensure_ascii=False)),
        ("verdict", "passed" if record.passed else "failed"),
        ("reason", record.reason),
        ("error", record.error or ""),
    ]
    fields += [
        (key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in record.extra.items()
    ]
    rows = "".join(
        f"<tr><th>{escape(name)}</th><td><pre>{escape(printable(_cut(str(value))))}</pre></td></tr>"
        for name, value in fields
        if value
    )
    return (
        f'<table class="llmeval-sample">{rows}</table>'
        '<p>Full record: <a href="samples.jsonl">samples.jsonl</a> (nodeid '
        f"{escape(record.nodeid)})</p>"
    )


class HtmlReport:
    """Registered only when pytest-html is active, so its hook names are known."""

    def __init__(self, rows_provider: Any) -> None:
        self._rows = rows_provider

    @pytest.hookimpl
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str]
    ) -> None:
        rows = self._rows()
        if rows:
            prefix.append(f"<h2>pytest-llmeval summary</h2>{table_html(rows)}")
