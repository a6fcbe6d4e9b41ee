"""Accuracy thresholds that decide the exit status of a benchmark run.

``DATASET=MIN`` gates the dataset's OVERALL on its first metric; ``DATASET:NAME=MIN`` names a
metric (then OVERALL) or a subset (then the first metric); ``DATASET:METRIC:SUBSET=MIN`` names
both. Names are checked when the run starts, so a typo stops it before any call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pytest

from ..records import Row, SampleRecord
from .table import format_score


@dataclass(frozen=True)
class Threshold:
    dataset: str
    metric: str
    subset: str
    minimum: float
    text: str

    @property
    def name(self) -> str:
        """The threshold as spelled, without its minimum: `bfcl_v3:live_simple`."""
        return ":".join(part.strip() for part in self.text.partition("=")[0].split(":"))


def parse_threshold(
    text: str, figures: Callable[[str], tuple[Sequence[str], Sequence[str]]]
) -> Threshold:
    """`figures(dataset)` gives (metrics, subsets) it reports, or raises KeyError if unknown."""
    name, sep, value = text.partition("=")
    parts = [p.strip() for p in name.split(":")]
    try:
        minimum = float(value)
    except ValueError:
        minimum = None
    if minimum is not None and not math.isfinite(minimum):
        minimum = None
    if not sep or minimum is None or not all(parts) or len(parts) > 3:
        raise pytest.UsageError(
            f"--llm-threshold {text!r}: expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8"
        )
    try:
        metrics, subsets = figures(parts[0])
    except KeyError as error:
        raise pytest.UsageError(f"--llm-threshold {text!r}: {error.args[0]}") from None
    subsets = [*subsets, "OVERALL"]
    metric, subset = metrics[0], "OVERALL"
    if len(parts) == 2:
        if parts[1] in metrics:
            metric = parts[1]
        elif parts[1] in subsets:
            subset = parts[1]
        else:
            raise pytest.UsageError(
                f"--llm-threshold {text!r}: {parts[1]!r} is neither a metric "
                f"({', '.join(metrics)}) "
                f"nor a subset ({', '.join(subsets)}) of {parts[0]}"
            )
    elif len(parts) == 3:
        metric, subset = parts[1], parts[2]
        if metric not in metrics or subset not in subsets:
            raise pytest.UsageError(
                f"--llm-threshold {text!r}: unknown metric or subset of {parts[0]} "
                f"(metrics: {', '.join(metrics)}; subsets: {', '.join(subsets)})"
            )
    return Threshold(parts[0], metric, subset, minimum, text)


@dataclass(frozen=True)
class ThresholdCheck:
    """One threshold (or one dataset's bound on failed calls) against the run: what CI
    dashboards show as a test case of its own, passed or failed, with the measured figure."""

    name: str  # the threshold as spelled without "=MIN", or "DATASET:max-error-rate"
    value: float | None
    failed: bool
    message: str


def check_thresholds(
    thresholds: Sequence[Threshold],
    rows: Sequence[Row],
    error_counts: dict[str, tuple[int, int]],
    max_error_rate: float,
) -> list[ThresholdCheck]:
    """Each threshold, then each dataset's share of failed calls, checked."""
    measured = {(r.dataset, r.metric, r.subset): r.score for r in rows}
    checks = []
    for threshold in thresholds:
        value = measured.get((threshold.dataset, threshold.metric, threshold.subset))
        label = f"{threshold.dataset} {threshold.metric} {threshold.subset}"
        if value is None:
            failed, line = True, f"{label}: not measured (threshold {threshold.minimum})"
        elif value < threshold.minimum:
            failed = True
            line = f"{label}: {_below(value, threshold.minimum)} < threshold {threshold.minimum}"
        else:
            failed, line = False, f"{label}: {format_score(value)} >= threshold {threshold.minimum}"
        checks.append(ThresholdCheck(threshold.name, value, failed, line))
    for dataset, (errors, total) in sorted(error_counts.items()):
        rate = errors / total if total else 0.0
        failed = rate > max_error_rate
        checks.append(
            ThresholdCheck(
                f"{dataset}:max-error-rate",
                rate,
                failed,
                f"{dataset}: {errors} of {total} samples failed to run "
                f"(error rate {format_score(rate)} {'>' if failed else '<='} "
                f"--llm-max-error-rate {max_error_rate})",
            )
        )
    return checks


def shortfalls(
    thresholds: Sequence[Threshold],
    rows: Sequence[Row],
    error_counts: dict[str, tuple[int, int]],
    max_error_rate: float,
) -> list[str]:
    """One line per figure below its threshold, and per dataset with too many failed calls."""
    checks = check_thresholds(thresholds, rows, error_counts, max_error_rate)
    return [check.message for check in checks if check.failed]


def error_counts(records: Iterable[SampleRecord]) -> dict[str, tuple[int, int]]:
    """(failed calls, samples) per dataset, for the error-rate gate."""
    counts: dict[str, tuple[int, int]] = {}
    for record in records:
        errors, total = counts.get(record.dataset, (0, 0))
        counts[record.dataset] = (errors + bool(record.error), total + 1)
    return counts


def _below(value: float, minimum: float) -> str:
    """The measured value as the table shows it, or with more digits where that rounds up to
    the threshold (0.36666 against 0.3667 must not read "0.3667 < threshold 0.3667")."""
    shown = format_score(value)
    return shown if float(shown) < minimum else f"{value:.6g}"
