"""pass@k over repeats: the unbiased estimator of Chen et al. (2021) and the figures a
benchmark reports from it.

With ``--llm-repeats N`` every sample is asked N times; a group of records (a subset, or all of
them for OVERALL) then gives ``pass@1`` and ``pass@N``, each the mean over samples of the
estimator with n = the repeats seen and c = the correct ones among them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence

from ..records import SampleRecord
from .pass_at_k import pass_at_k


def pass_at_k_names(repeats: int) -> tuple[str, ...]:
    """The figures reported for N repeats: pass@1 and pass@N, none for a single answer."""
    return ("pass@1", f"pass@{repeats}") if repeats > 1 else ()


def pass_at_k_metrics(records: Sequence[SampleRecord]) -> dict[str, float]:
    """pass@1 and pass@n over the records' samples, n the fewest repeats any sample has
    (a record counts as correct when it passed); empty when a sample was asked once."""
    by_sample: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        by_sample[record.sample_id].append(record.passed)
    n = min((len(v) for v in by_sample.values()), default=0)
    if n < 2:
        return {}
    return {
        f"pass@{k}": statistics.fmean(pass_at_k(len(v), sum(v), k) for v in by_sample.values())
        for k in (1, n)
    }
