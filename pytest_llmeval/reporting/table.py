"""The summary table as the seed prints it (tabulate's grid), for the terminal and for HTML."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape
from typing import Any

from ..records import Row

COLUMNS = ("Model", "Dataset", "Metric", "Subset", "Num", "Score", "Cat.0", "Errors")
ROW_KEYS = ("model", "dataset", "metric", "subset", "num", "score", "category", "errors")
NUMERIC = {"Num", "Score", "Errors"}
SCORE = ROW_KEYS.index("score")
HEADER_PADDING = 2  # tabulate's minimum padding of a header, which the seed shows


def format_score(score: float | None) -> str:
    """Four decimals at most, as the seed prints them (0.375, 0.4167, 1)."""
    return "-" if score is None else f"{round(score, 4):.4f}".rstrip("0").rstrip(".")


def format_margin(row: Row) -> str:
    """The ± the table shows beside a score: half the width of the row's 95% interval
    (Wilson intervals are asymmetric; the bounds themselves are in report.json), three
    decimals; ``±-`` when the interval is undefined, nothing for a row without a score."""
    if row.score is None:
        return ""
    half = row.half_width
    if half is None:
        return "±-"
    if half == 0:
        return "±0"
    return f"±{half:.3f}" if half >= 0.0005 else "±<0.001"


def format_table(rows: Sequence[Row]) -> str:
    """The seed's grid table: numbers aligned on the decimal point, text left-aligned.

    As in the seed (tabulate's grid format), a column is at least its header plus two wide.
    Scores carry their error bar (`format_margin`) when any row of the table has one.
    """
    cells = [[_cell(row, key) for key in ROW_KEYS] for row in rows]
    if not any(row.ci_method is not None for row in rows):
        return grid(COLUMNS, cells, NUMERIC)
    margins = [format_margin(row) for row in rows]
    column = _decimal_align([c[SCORE] for c in cells])
    width = max(map(len, margins))
    for cell, score, margin in zip(cells, column, margins):
        cell[SCORE] = f"{score} {margin.ljust(width)}"
    return grid(COLUMNS, cells, NUMERIC, aligned={"Score"})


def grid(
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    numeric: set[str],
    aligned: Collection[str] = (),
) -> str:
    """tabulate's grid format as the seed prints it: numeric columns right-aligned on the
    decimal point (``aligned`` ones are already), text left-aligned, each column at least
    its header plus two wide."""
    columns = list(zip(*cells)) if cells else [() for _ in headers]
    rendered_columns = []
    for header, column in zip(headers, columns):
        width = max([len(header) + HEADER_PADDING, *map(len, column)])
        if header in numeric:
            column = column if header in aligned else _decimal_align(column)
            width = max([width, *map(len, column)])
            rendered_columns.append([header.rjust(width), *(c.rjust(width) for c in column)])
        else:
            rendered_columns.append([header.ljust(width), *(c.ljust(width) for c in column)])
    widths = [len(col[0]) for col in rendered_columns]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    head_line = line.replace("-", "=")
    lines = [line, _join([col[0] for col in rendered_columns]), head_line]
    for i in range(1, len(cells) + 1):
        lines += [_join([col[i] for col in rendered_columns]), line]
    return "\n".join(lines)


def _join(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _cell(row: Row, key: str) -> str:
    if key == "score":
        return format_score(row.score)
    return str(getattr(row, key))


def _decimal_align(column: Sequence[str]) -> list[str]:
    heads = [c.split(".")[0] for c in column]
    tails = [c[len(h) :] for c, h in zip(column, heads)]
    head_width = max(map(len, heads), default=0)
    tail_width = max(map(len, tails), default=0)
    return [h.rjust(head_width) + t.ljust(tail_width) for h, t in zip(heads, tails)]


def usage_lines(summary: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for dataset, s in summary.items():
        judge = (
            f"; judge {s['judge_calls']} calls, {s['judge_prompt_tokens']} in / "
            f"{s['judge_completion_tokens']} out"
            if s["judge_calls"]
            else ""
        )
        p50 = "-" if s["latency_p50_s"] is None else f"{s['latency_p50_s']}s"
        p95 = "-" if s["latency_p95_s"] is None else f"{s['latency_p95_s']}s"
        lines.append(
            f"{dataset}: {s['samples']} samples ({s['errors']} errors, "
            f"{s['cached_samples']} from cache), "
            f"{s['calls']} calls, tokens {s['prompt_tokens']} in / "
            f"{s['completion_tokens']} out{judge}; "
            f"latency p50 {p50} p95 {p95}"
        )
    return lines


def endpoint_lines(summary: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One line per base URL that was called: its share of the traffic and how it served."""
    lines = []
    for role, lanes in summary.items():
        for lane in lanes:
            if not lane["calls"]:
                continue
            p50 = "-" if lane["latency_p50_s"] is None else f"{lane['latency_p50_s']}s"
            p95 = "-" if lane["latency_p95_s"] is None else f"{lane['latency_p95_s']}s"
            rests = f", {lane['rests']} cool-downs" if lane["rests"] else ""
            lines.append(
                f"{role} endpoint {lane['url']}: {lane['calls']} calls, {lane['errors']} errors "
                f"({lane['throttled']} throttled){rests}; latency p50 {p50} p95 {p95}; "
                f"concurrency {lane['concurrency']} at the end"
            )
    return lines


def table_html(rows: Sequence[Row]) -> str:
    """The same table for the top of the pytest-html page, with each score's 95% interval
    (and how it was computed) in a column of its own."""
    head = "".join(f"<th>{escape(c)}</th>" for c in (*COLUMNS, "95% CI"))
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(_cell(row, key))}</td>" for key in ROW_KEYS)
        + _interval_html(row)
        + "</tr>"
        for row in rows
    )
    return (
        f'<table class="llmeval-summary" border="1"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _interval_html(row: Row) -> str:
    if row.ci_low is None or row.ci_high is None:
        return f'<td title="{escape(row.ci_method or "")}">-</td>'
    text = f"{row.ci_low:.4f} – {row.ci_high:.4f}"
    return f'<td title="{escape(row.ci_method or "")}">{escape(text)}</td>'
