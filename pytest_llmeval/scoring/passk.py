"""pass@k over repeats: the unbiased estimator of Chen et al. (2021) and the figures a
benchmark reports from it.

With ``--llm-repeats N`` every sample is asked N times; a group of records (a subset, or all of
them for OVERALL) then gives ``pass@1`` and ``pass@N``, each the mean over samples of the
estimator with n = the repeats seen and c = the correct ones among them. Pure arithmetic, so
the benchmarks that report it import neither numpy nor scipy (`stats` adds the error bars).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence

from ..records import SampleRecord


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with c correct of n answers: 1 − C(n − c, k) / C(n, k)."""
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 < k <= n and 0 <= c <= n, got n={n}, c={c}, k={k}")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_at_k_names(repeats: int, suffix: str = "") -> tuple[str, ...]:
    """The figures `pass_at_k_metrics` gives with `repeats` repeats: none with one."""
    return (f"pass@1{suffix}", f"pass@{repeats}{suffix}") if repeats > 1 else ()


def pass_at_k_metrics(
    records: Sequence[SampleRecord],
    correct: Callable[[SampleRecord], bool] = lambda record: record.passed,
    suffix: str = "",
) -> dict[str, float]:
    """pass@1 and pass@n over the records' samples, n the fewest repeats any sample has (a
    record counts as correct when `correct` says so: by default, when it passed); empty when a
    sample was asked once."""
    by_sample: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        by_sample[record.sample_id].append(correct(record))
    n = min((len(v) for v in by_sample.values()), default=0)
    if n < 2:
        return {}
    return {
        f"pass@{k}{suffix}": statistics.fmean(
            pass_at_k(len(v), sum(v), k) for v in by_sample.values()
        )
        for k in (1, n)
    }
