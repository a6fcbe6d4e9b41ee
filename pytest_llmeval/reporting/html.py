"""pytest-html integration: the summary table on top, one short line per sample.

pytest-html draws every row from one JSON blob in the browser, so what each sample adds must
stay small: its verdict, its one-line reason, latency and tokens, and a link to the sample in
viewer.html, which shows the whole conversation. Its row template also carries a media viewer
(an <img> and a <video> per row, pytest-html#684): when no test attached an image or a video,
the written page gets a template without it, which makes it open about three times faster.
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from ..records import SampleRecord, reason_line
from ..redact import printable
from .table import table_html


def sample_fragment(record: SampleRecord) -> str:
    """`#sample=DATASET/ID/rREPEAT` as the viewer reads it (URLSearchParams: `+` would be a
    space, so everything but `/` and the unreserved characters is percent-encoded)."""
    key = f"{record.dataset}/{record.sample_id}/r{record.repeat}"
    return "#sample=" + quote(key, safe="/")


def sample_line(record: SampleRecord, viewer_href: str) -> str:
    """verdict · reason · latency · tokens · a link to the sample in the viewer."""
    reason = reason_line(record.reason, record.error, record.error_kind)
    tokens = record.usage.prompt_tokens + record.usage.completion_tokens
    parts = [f"<b>{escape(record.verdict)}</b>"]
    if reason:
        parts.append(escape(printable(reason)))
    parts.append(f"{record.latency_s:.2f} s, {tokens} tokens")
    href = escape(viewer_href + sample_fragment(record), quote=True)
    parts.append(f'<a href="{href}">open in the viewer</a>')
    return f'<div class="llmeval-sample">{" · ".join(parts)}</div>'


EMPTY_LOG_HIDDEN = "<style>.logwrapper:not(:has(.log)) { display: none; }</style>"
"""pytest-html keeps its log box under a row that has no log: an empty grey box per sample."""

ROWS_DRAWN_ON_SIGHT = """<style>
#results-table, #results-table > thead, #results-table > tbody { display: block; }
#results-table > tbody { content-visibility: auto; contain-intrinsic-size: auto 30px; }
#results-table tr { display: flex; gap: 2px; margin-bottom: 2px; }
#results-table th, #results-table td { flex: 0 0 7em; overflow-wrap: anywhere; }
#results-table th[data-column-type="testId"], #results-table td.col-testId,
#results-table td.extra, #not-found-message td { flex: 1 1 0; }
</style>"""
"""pytest-html's results are one table, which the browser lays out whole, every row of it,
before the page answers (1.2 s of 3.4 s at 4,441 rows). Drawn as blocks of fixed-width cells,
each row is a box that `content-visibility` lets the browser skip until it scrolls into view
(table parts cannot be skipped); the columns and pytest-html's script stay as they are."""


ROW_TEMPLATE = re.compile(
    r'(<template id="template_results-table__tbody">(?:(?!</template>).)*?)'
    r'<div class="media">(?:(?!</template>).)*?(?=<div class="logwrapper">)',
    re.DOTALL,
)
NO_MEDIA = r'\1<div class="media"></div>\n            '
"""pytest-html's script hides `.media` when a row has no media, so an empty one is enough."""


def without_media_viewer(page: str) -> str:
    """The page with a row template that makes no <img> and <video> per row; unchanged when
    the template is not the one this was written against."""
    return ROW_TEMPLATE.sub(NO_MEDIA, page, count=1)


class HtmlReport:
    """Registered only when pytest-html is active, so its hook names are known."""

    def __init__(self, rows_provider: Any, html_path: Path, viewer: Path) -> None:
        self._rows = rows_provider
        self._samples: set[str] = set()  # node ids of sample items
        self._media = False  # some test attached an image or a video
        self._path = html_path
        relative = os.path.relpath(viewer.absolute(), html_path.absolute().parent)
        self._href = quote(relative.replace(os.sep, "/"))

    @pytest.hookimpl(tryfirst=True)  # before pytest-html reads the report's extras
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        attached = [e for name in ("extras", "extra") for e in getattr(report, name, None) or []]
        self._media |= any(e.get("format_type") in ("image", "video") for e in attached)
        data = getattr(report, "llm_record", None)
        if data is not None:
            from pytest_html import extras

            self._samples.add(report.nodeid)
            line = sample_line(SampleRecord.from_dict(data), self._href)
            report.extras = [*getattr(report, "extras", []), extras.html(line)]

    @pytest.hookimpl
    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """No log under a sample: its line says why it failed, the viewer shows the rest (the
        log of 4,441 rows is a tenth of the page and a block of DOM nodes each)."""
        if report.nodeid in self._samples:
            del data[:]

    @pytest.hookimpl
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str]
    ) -> None:
        rows = self._rows()
        if rows:
            prefix.append(f"<h2>pytest-llmeval summary</h2>{table_html(rows)}")
        prefix.append(EMPTY_LOG_HIDDEN + ROWS_DRAWN_ON_SIGHT)

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        """After pytest-html wrote the page (at session finish)."""
        if self._media or not self._path.is_file():
            return
        page = self._path.read_text(encoding="utf-8")
        slim = without_media_viewer(page)
        if slim != page:
            self._path.write_text(slim, encoding="utf-8")
