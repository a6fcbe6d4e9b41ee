"""From sample records to the summary table and the report files.

Rows follow the seed's columns (Model | Dataset | Metric | Subset | Num | Score | Cat.0) plus
Errors; per (dataset, metric) the subsets come first, then OVERALL, which is the benchmark's
aggregate over all scored records (for means: the count-weighted mean of the subsets).
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .benchmarks.base import Benchmark

COLUMNS = ("Model", "Dataset", "Metric", "Subset", "Num", "Score", "Cat.0", "Errors")
ROW_KEYS = ("model", "dataset", "metric", "subset", "num", "score", "category", "errors")
NUMERIC = {"Num", "Score", "Errors"}
HEADER_PADDING = 2  # tabulate's minimum padding of a header, which the seed shows


def build_rows(
    model: str, records: Sequence[dict[str, Any]], benchmarks: dict[str, Benchmark]
) -> list[dict[str, Any]]:
    """Table rows for every dataset that has records; nothing leaves a denominator unseen."""
    by_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_dataset[record["dataset"]].append(record)
    rows: list[dict[str, Any]] = []
    for dataset in sorted(by_dataset):
        rows += _dataset_rows(model, benchmarks[dataset], by_dataset[dataset])
    return rows


def _dataset_rows(
    model: str, benchmark: Benchmark, records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    by_subset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_subset[record["subset"]].append(record)
    order = [s for s in benchmark.subsets if s in by_subset] + sorted(
        set(by_subset) - set(benchmark.subsets)
    )
    scored = {s: [r for r in by_subset[s] if r["scored"]] for s in order}
    errors = {s: sum(1 for r in by_subset[s] if r["error"]) for s in order}
    values = {s: benchmark.aggregate(scored[s]) if scored[s] else {} for s in order}
    all_scored = [r for s in order for r in scored[s]]
    overall = benchmark.aggregate(all_scored) if all_scored else {}
    metrics = list(dict.fromkeys([*benchmark.metrics, *overall]))
    rows = []
    for metric in metrics:
        for subset in order:
            rows.append(
                _row(
                    model,
                    benchmark.name,
                    metric,
                    subset,
                    len(scored[subset]),
                    values[subset].get(metric),
                    benchmark.category(subset),
                    errors[subset],
                )
            )
        rows.append(
            _row(
                model,
                benchmark.name,
                metric,
                "OVERALL",
                len(all_scored),
                overall.get(metric),
                "-",
                sum(errors.values()),
            )
        )
    defaults = {"model": model, "dataset": benchmark.name, "category": "official", "errors": 0}
    return rows + [
        {key: {**defaults, **extra}[key] for key in ROW_KEYS}
        for extra in benchmark.extra_rows(all_scored)
    ]


def _row(
    model: str,
    dataset: str,
    metric: str,
    subset: str,
    num: int,
    score: float | None,
    category: str,
    errors: int,
) -> dict[str, Any]:
    return dict(zip(ROW_KEYS, (model, dataset, metric, subset, num, score, category, errors)))


def format_score(score: float | None) -> str:
    """Four decimals at most, as the seed prints them (0.375, 0.4167, 1)."""
    return "-" if score is None else f"{round(score, 4):.4f}".rstrip("0").rstrip(".")


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The seed's grid table: numbers aligned on the decimal point, text left-aligned.

    As in the seed (tabulate's grid format), a column is at least its header plus two wide.
    """
    cells = [[_cell(row, key) for key in ROW_KEYS] for row in rows]
    columns = list(zip(*cells)) if cells else [() for _ in COLUMNS]
    rendered_columns = []
    for header, column in zip(COLUMNS, columns):
        width = max([len(header) + HEADER_PADDING, *map(len, column)])
        if header in NUMERIC:
            column = _decimal_align(column)
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


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "score":
        return format_score(row[key])
    return str(row[key])


def _decimal_align(column: Sequence[str]) -> list[str]:
    heads = [c.split(".")[0] for c in column]
    tails = [c[len(h) :] for c, h in zip(column, heads)]
    head_width = max(map(len, heads), default=0)
    tail_width = max(map(len, tails), default=0)
    return [h.rjust(head_width) + t.ljust(tail_width) for h, t in zip(heads, tails)]


def usage_summary(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per dataset: calls and tokens (model and judge apart), cache hits, latency p50/p95."""
    summary: dict[str, dict[str, Any]] = {}
    by_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_dataset[record["dataset"]].append(record)
    for dataset, group in sorted(by_dataset.items()):
        latencies = sorted(r["latency_s"] for r in group if not r["cached"])
        summary[dataset] = {
            "samples": len(group),
            "errors": sum(1 for r in group if r["error"]),
            "calls": sum(r["usage"]["calls"] for r in group),
            "prompt_tokens": sum(r["usage"]["prompt_tokens"] for r in group),
            "completion_tokens": sum(r["usage"]["completion_tokens"] for r in group),
            "judge_calls": sum(r["judge_usage"]["calls"] for r in group),
            "judge_prompt_tokens": sum(r["judge_usage"]["prompt_tokens"] for r in group),
            "judge_completion_tokens": sum(r["judge_usage"]["completion_tokens"] for r in group),
            "cached_samples": sum(1 for r in group if r["cached"]),
            "latency_p50_s": _quantile(latencies, 0.50),
            "latency_p95_s": _quantile(latencies, 0.95),
        }
    return summary


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 3)


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


def write_reports(folder: Path, rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> None:
    """report.json (rows + run metadata) and report.csv (the same rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(
        json.dumps({"rows": list(rows), "meta": meta}, indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    with (folder / "report.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row[key] if key != "score" else ("" if row[key] is None else round(row[key], 6))
                    for key in ROW_KEYS
                ]
            )


def table_html(rows: Sequence[dict[str, Any]]) -> str:
    """The same table for the top of the pytest-html page."""
    from html import escape

    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(row, key))}</td>" for key in ROW_KEYS) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="llmeval-summary" border="1"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )
