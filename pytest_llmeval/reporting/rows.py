"""Aggregation: from sample records to the table's rows and the usage figures.

Rows follow the seed's columns (Model | Dataset | Metric | Subset | Num | Score | Cat.0) plus
Errors; per (dataset, metric) the subsets come first, then OVERALL, which is the benchmark's
aggregate over all scored records (for means: the count-weighted mean of the subsets), then
the benchmark's official rows if it has any. Each row carries its standard error and 95%
interval from the benchmark's `estimates` / `extra_estimates` (specs/statistics.md).
Rendering lives in table.py and files.py.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from ..benchmarks.base import Benchmark
from ..records import Row, SampleRecord
from ..scoring.stats import Estimate


def by_dataset(records: Sequence[SampleRecord]) -> dict[str, list[SampleRecord]]:
    grouped: dict[str, list[SampleRecord]] = defaultdict(list)
    for record in records:
        grouped[record.dataset].append(record)
    return dict(sorted(grouped.items()))


def build_rows(model: str, records: Sequence[SampleRecord], benchmarks: Any) -> list[Row]:
    """Table rows for every dataset that has records; nothing leaves a denominator unseen.

    `benchmarks` maps a dataset name to its Benchmark (anything with `[name]` or `.get`)."""
    get = benchmarks.get if hasattr(benchmarks, "get") else benchmarks.__getitem__
    rows: list[Row] = []
    for dataset, group in by_dataset(records).items():
        rows += _dataset_rows(model, get(dataset), group)
    return rows


def _dataset_rows(model: str, benchmark: Benchmark, records: list[SampleRecord]) -> list[Row]:
    by_subset: dict[str, list[SampleRecord]] = defaultdict(list)
    for record in records:
        by_subset[record.subset].append(record)
    order = [s for s in benchmark.subsets if s in by_subset] + sorted(
        set(by_subset) - set(benchmark.subsets)
    )
    scored = {s: [r for r in by_subset[s] if r.scored] for s in order}
    errors = {s: sum(1 for r in by_subset[s] if r.error) for s in order}
    categories = {s: by_subset[s][0].category for s in order}
    values = {s: benchmark.aggregate(scored[s]) if scored[s] else {} for s in order}
    estimates = {s: _estimates(benchmark.estimates, scored[s]) for s in order}
    all_scored = [r for s in order for r in scored[s]]
    overall = benchmark.aggregate(all_scored) if all_scored else {}
    overall_estimates = _estimates(benchmark.estimates, all_scored)
    metrics = list(dict.fromkeys([*benchmark.metrics, *overall]))
    name = benchmark.name
    rows = []
    for metric in metrics:
        for subset in order:
            num, score = len(scored[subset]), values[subset].get(metric)
            row = Row(model, name, metric, subset, num, score, categories[subset], errors[subset])
            rows.append(row.with_estimate(estimates[subset].get(metric)))
        row = Row(
            model,
            name,
            metric,
            "OVERALL",
            len(all_scored),
            overall.get(metric),
            "-",
            sum(errors.values()),
        )
        rows.append(row.with_estimate(overall_estimates.get(metric)))
    if benchmark.extra is not None:
        extra = _estimates(benchmark.extra_estimates, all_scored)
        for group, (score, num) in benchmark.extra_rows(all_scored).items():
            covered = sum(errors.get(s, 0) for s in benchmark.group_subsets(group))
            row = Row(model, name, benchmark.extra.metric, group, num, score, "official", covered)
            rows.append(row.with_estimate(extra.get(group)))
    return rows


def _estimates(
    hook: Callable[[Sequence[SampleRecord]], dict[str, Estimate]], records: list[SampleRecord]
) -> dict[str, Estimate]:
    """A benchmark's error bars for these records; none where a figure has no defined
    uncertainty (no records, or values the formulas reject such as a non-finite score)."""
    if not records:
        return {}
    try:
        return hook(records)
    except (ValueError, ZeroDivisionError):
        return {}


def usage_summary(records: Sequence[SampleRecord]) -> dict[str, dict[str, Any]]:
    """Per dataset: calls and tokens (model and judge apart), cache hits, latency p50/p95."""
    summary: dict[str, dict[str, Any]] = {}
    for dataset, group in by_dataset(records).items():
        latencies = sorted(r.latency_s for r in group if not r.cached)
        summary[dataset] = {
            "samples": len(group),
            "errors": sum(1 for r in group if r.error),
            "calls": sum(r.usage.calls for r in group),
            "prompt_tokens": sum(r.usage.prompt_tokens for r in group),
            "completion_tokens": sum(r.usage.completion_tokens for r in group),
            "judge_calls": sum(r.judge_usage.calls for r in group),
            "judge_prompt_tokens": sum(r.judge_usage.prompt_tokens for r in group),
            "judge_completion_tokens": sum(r.judge_usage.completion_tokens for r in group),
            "cached_samples": sum(1 for r in group if r.cached),
            "latency_p50_s": _quantile(latencies, 0.50),
            "latency_p95_s": _quantile(latencies, 0.95),
        }
    return summary


def endpoint_summary(
    parts: dict[str, list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Per role (model, judge), per base URL, over every process that called it: attempts
    sent, failed (of them throttled by 429/503), cool-downs, latency p50/p95 of the answered
    ones, and the calls in flight allowed at the end (the processes' limits summed)."""
    summary: dict[str, list[dict[str, Any]]] = {}
    for role, lanes in parts.items():
        merged: dict[str, dict[str, Any]] = {}
        for lane in lanes:
            into = merged.setdefault(
                lane["url"],
                {
                    "url": lane["url"],
                    "calls": 0,
                    "errors": 0,
                    "throttled": 0,
                    "rests": 0,
                    "concurrency": 0,
                    "latencies": [],
                },
            )
            for name in ("calls", "errors", "throttled", "rests", "concurrency"):
                into[name] += lane[name]
            into["latencies"] += lane["latencies"]
        summary[role] = [
            {
                **{k: v for k, v in lane.items() if k != "latencies"},
                "latency_p50_s": _quantile(sorted(lane["latencies"]), 0.50),
                "latency_p95_s": _quantile(sorted(lane["latencies"]), 0.95),
            }
            for lane in merged.values()
        ]
    return summary


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 3)


def _natural(text: str) -> list[Any]:
    return [int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", text))]


def table_order(rows: Sequence[dict[str, Any]], records: Sequence[dict[str, Any]]) -> list[dict]:
    """Records (plain data) in the table's order: datasets and subsets as the rows list them,
    then ids in natural order (2 before 10), then repeats. The one canonical order of a run's
    records, whatever order they finished in."""
    datasets: dict[str, int] = {}
    subsets: dict[tuple[str, str], int] = {}
    for row in rows:
        datasets.setdefault(str(row.get("dataset")), len(datasets))
        subsets.setdefault((str(row.get("dataset")), str(row.get("subset"))), len(subsets))

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        dataset, subset = str(record.get("dataset")), str(record.get("subset"))
        return (
            datasets.get(dataset, len(datasets)),
            dataset,
            subsets.get((dataset, subset), len(subsets)),
            subset,
            _natural(str(record.get("sample_id"))),
            record.get("repeat") or 0,
        )

    return sorted(records, key=key)
