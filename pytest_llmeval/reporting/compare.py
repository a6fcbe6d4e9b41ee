"""Paired comparison of a new run with a baseline run, and the ``max-drop`` regression gate.

Records are the plain dicts of ``samples.jsonl``: ``dataset``, ``subset``, ``sample_id``,
``repeat``, ``scored``, ``metrics`` and optionally ``cluster`` (default: the sample id, so the
repeats of one sample form one cluster). The formulas are ``specs/statistics.md``'s:

- samples pair by (dataset, sample id, repeat); samples in one run only, or not scored in both,
  are counted and named (`Pairing`) and take no part in the paired figures;
- per (dataset, metric, subset), and OVERALL per (dataset, metric): base and new are the means
  over the paired samples, Δ = mean(new − base), SE_Δ the clustered SE of the differences
  (equal to the paired CLT SE when every cluster holds one pair), df = C − 1, the 95% interval
  Δ ± t(0.975, df) · SE_Δ;
- p-value: McNemar's exact test (scipy's binomial test) when every score is 0 or 1, otherwise
  the paired t-test t = Δ / SE_Δ with df = C − 1 (clustered when clusters hold several pairs).
  McNemar's test, as the spec prescribes it, counts pairs as independent: with repeats or other
  multi-sample clusters its p-value is too small, while SE_Δ, the interval and the gate are
  clustered;
- derived figures: `weighted_row` for weighted aggregates of disjoint subsets (SE_Δ =
  sqrt(Σ w² SE_Δk²), Welch–Satterthwaite df), `derived_row` for smooth functions of means
  such as SimpleQA's ratios (paired delta method), `per_cluster_row` for figures computed per
  cluster such as AIME's pass@k over repeats (SE over clusters);
- the gate: U = Δ + t(0.95, df) · SE_Δ (U = Δ when SE_Δ = 0; no bound with SE_Δ undefined),
  failing when U < −MARGIN; the smallest detectable drop (one-sided 95%, 80% power) is
  (t(0.95, df) + 0.841621) · SE with SE = SE_Δ when > 0, else sqrt(SE_A² + SE_B²).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..scoring.stats import Z_POWER80, Smooth, standard_error, t_interval, t_quantile

OVERALL = "OVERALL"
MCNEMAR = "mcnemar-exact"
PAIRED_T = "paired-t"
WEIGHTED_T = "weighted-t"
DELTA_T = "delta-t"
CLUSTER_T = "cluster-t"
SampleKey = tuple[str, str, int]  # (dataset, sample id, repeat)


class NoOverlapError(ValueError):
    """The two runs have no sample in common, so there is nothing to compare."""


# -- pairing ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class SampleRef:
    """One sample and repeat of one run, named as the report names it."""

    dataset: str
    subset: str
    sample_id: str
    repeat: int

    @property
    def key(self) -> SampleKey:
        return (self.dataset, self.sample_id, self.repeat)

    def __str__(self) -> str:
        return f"{self.dataset}/{self.sample_id}/r{self.repeat}"


@dataclass(frozen=True)
class PairedSample:
    """One sample scored in both runs: its metric values in the baseline and in the new run."""

    ref: SampleRef
    cluster: str
    base: Mapping[str, float]
    new: Mapping[str, float]


@dataclass(frozen=True)
class Pairing:
    """The samples of two runs matched by (dataset, sample id, repeat).

    ``only_base`` / ``only_new``: in one run only; ``unscored``: in both but not scored in at
    least one (a failed call without ``--llm-ignore-errors``). None of these is in ``pairs``.
    """

    pairs: tuple[PairedSample, ...]
    only_base: tuple[SampleRef, ...]
    only_new: tuple[SampleRef, ...]
    unscored: tuple[SampleRef, ...]

    def unpaired_lines(self, limit: int = 5) -> list[str]:
        """One line per kind of unpaired sample, with a count and the first ``limit`` names."""
        lines = []
        for refs, what in (
            (self.only_base, "only in the baseline"),
            (self.only_new, "only in the new run"),
            (self.unscored, "not scored in both runs"),
        ):
            if refs:
                names = ", ".join(str(ref) for ref in refs[:limit])
                more = f", … ({len(refs) - limit} more)" if len(refs) > limit else ""
                lines.append(f"{len(refs)} samples {what}: {names}{more}")
        return lines


def pair(
    base_records: Iterable[Mapping[str, Any]], new_records: Iterable[Mapping[str, Any]]
) -> Pairing:
    """Match two runs' records. Raises `NoOverlapError` when no sample is scored in both, and
    ValueError on a sample listed twice in one run or filed under two different subsets."""
    base = _index(base_records, "baseline")
    new = _index(new_records, "new run")
    pairs, unscored = [], []
    for key, old in base.items():
        if key not in new:
            continue
        fresh = new[key]
        ref = _ref(old)
        if fresh["subset"] != old["subset"]:
            raise ValueError(
                f"sample {ref} is in subset {old['subset']!r} in the baseline and "
                f"{fresh['subset']!r} in the new run"
            )
        if not (old["scored"] and fresh["scored"]):
            unscored.append(ref)
            continue
        cluster = fresh.get("cluster") or old.get("cluster") or ref.sample_id
        pairs.append(PairedSample(ref, str(cluster), old["metrics"], fresh["metrics"]))
    if not pairs:
        what = "scored in both runs" if unscored else "in both runs"
        raise NoOverlapError(
            f"no sample is {what} (baseline: {_describe(base)}; new run: {_describe(new)})"
        )
    return Pairing(
        tuple(pairs),
        tuple(_ref(r) for key, r in base.items() if key not in new),
        tuple(_ref(r) for key, r in new.items() if key not in base),
        tuple(unscored),
    )


# -- comparison rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    """New run against the baseline on one figure, over the samples scored in both.

    ``base``/``new``: the mean score over the paired samples; ``delta`` = new − base; ``se``:
    SE_Δ (None with fewer than two clusters); ``ci_low``/``ci_high``: Δ ± t(0.975, df) · SE_Δ;
    ``test``: ``mcnemar-exact`` (all scores 0 or 1) or ``paired-t``; ``worse``: samples that
    scored lower in the new run (b: passed in the baseline, failed in the new run), ``better``
    the reverse (c); ``se_base``/``se_new``: each run's SE over the paired samples (clustered
    likewise); ``only_base``/``only_new``/``unscored``: unpaired samples of this subset (of the
    dataset for OVERALL).
    """

    dataset: str
    metric: str
    subset: str
    n: int
    clusters: int
    base: float
    new: float
    delta: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None
    p_value: float | None
    test: str
    worse: int
    better: int
    se_base: float | None
    se_new: float | None
    only_base: int = 0
    only_new: int = 0
    unscored: int = 0

    @property
    def label(self) -> str:
        return f"{self.dataset} {self.metric} {self.subset}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_rows(pairing: Pairing, *, overall: bool = True) -> list[ComparisonRow]:
    """One row per (dataset, metric, subset) of the paired samples, then OVERALL per (dataset,
    metric) when ``overall``; datasets sorted, metrics and subsets in the baseline's order.

    A dataset's metrics are those that appear in both runs' records; a scored record without
    a metric counts 0 for it, as the report's means do.
    """
    by_dataset: dict[str, list[PairedSample]] = {}
    for paired in pairing.pairs:
        by_dataset.setdefault(paired.ref.dataset, []).append(paired)
    unpaired = _unpaired_counts(pairing)
    rows = []
    for dataset in sorted(by_dataset):
        pairs = by_dataset[dataset]
        in_new = {metric for p in pairs for metric in p.new}
        metrics = [m for m in dict.fromkeys(m for p in pairs for m in p.base) if m in in_new]
        by_subset: dict[str, list[PairedSample]] = {}
        for paired in pairs:
            by_subset.setdefault(paired.ref.subset, []).append(paired)
        totals = _unpaired_in(unpaired, dataset, OVERALL)
        for metric in metrics:
            for subset, members in by_subset.items():
                counts = unpaired.get((dataset, subset), [0, 0, 0])
                rows.append(_row(dataset, metric, subset, members, counts))
            if overall:
                rows.append(_row(dataset, metric, OVERALL, pairs, totals))
    return rows


def weighted_row(
    rows: Sequence[ComparisonRow], weights: Sequence[float], *, metric: str, subset: str
) -> ComparisonRow:
    """A weighted aggregate Σ w_k · figure_k of disjoint subsets' rows (BFCL's official
    LeaderboardAccuracy rows), compared: Δ = Σ w_k Δ_k, SE_Δ = sqrt(Σ w_k² SE_Δk²) (None if any
    is undefined), df by Welch–Satterthwaite (the sum of the parts' df when SE_Δ = 0), the
    interval Δ ± t(0.975, df) · SE_Δ, and a t-test p-value (``weighted-t``). Flips and
    counts are summed; ``se_base``/``se_new`` combine likewise. Rows may themselves be
    weighted rows of disjoint parts."""
    if not rows or len(rows) != len(weights):
        raise ValueError("weighted_row needs one weight per row and at least one row")
    if len({r.dataset for r in rows}) != 1 or len({r.subset for r in rows}) != len(rows):
        raise ValueError("weighted_row combines disjoint subsets of one dataset")
    if any(r.subset == OVERALL for r in rows):
        raise ValueError("weighted_row combines subsets; OVERALL overlaps them")
    w = [float(x) for x in weights]
    if not all(math.isfinite(x) for x in w):
        raise ValueError("weights must be finite numbers")
    se, df = _combine([r.se for r in rows], [r.df for r in rows], w)
    if se == 0:
        df = sum(r.df for r in rows if r.df is not None) or None
    se_base, _ = _combine([r.se_base for r in rows], [r.df for r in rows], w)
    se_new, _ = _combine([r.se_new for r in rows], [r.df for r in rows], w)
    delta = math.fsum(x * r.delta for x, r in zip(w, rows))
    low, high = t_interval(delta, se, df)
    return ComparisonRow(
        rows[0].dataset,
        metric,
        subset,
        sum(r.n for r in rows),
        sum(r.clusters for r in rows),
        math.fsum(x * r.base for x, r in zip(w, rows)),
        math.fsum(x * r.new for x, r in zip(w, rows)),
        delta,
        se,
        low,
        high,
        df,
        _paired_t_p(delta, se, df),
        WEIGHTED_T,
        sum(r.worse for r in rows),
        sum(r.better for r in rows),
        se_base,
        se_new,
        sum(r.only_base for r in rows),
        sum(r.only_new for r in rows),
        sum(r.unscored for r in rows),
    )


def derived_row(
    pairing: Pairing,
    dataset: str,
    metric: str,
    columns: Sequence[str],
    figure: Smooth,
    *,
    subset: str = OVERALL,
) -> ComparisonRow | None:
    """A figure that is a smooth function of metric means (SimpleQA's correct_given_attempted
    and f_score: ``figure`` = stats.CORRECT_GIVEN_ATTEMPTED or stats.F_SCORE over the columns
    is_correct, is_incorrect), compared by the paired delta method.

    Each pair's linearised difference is u_i = ∇f(x̄_B)·(x_i^B − x̄_B) − ∇f(x̄_A)·(x_i^A − x̄_A);
    SE_Δ is the clustered SE of the mean of the u_i (df = C − 1), the interval Δ ± t(0.975,
    df) · SE_Δ, the p-value the t-test on Δ / SE_Δ (``delta-t``). ``worse``/``better`` count
    the flips of the first column. None when the figure is undefined in a run (e.g. nothing
    attempted) or no sample of the subset is paired.
    """
    pairs = [
        p
        for p in pairing.pairs
        if p.ref.dataset == dataset and (subset == OVERALL or p.ref.subset == subset)
    ]
    if not pairs:
        return None
    m = len(pairs)
    base = [[float(p.base.get(c, 0.0)) for p in pairs] for c in columns]
    new = [[float(p.new.get(c, 0.0)) for p in pairs] for c in columns]
    base_means = [math.fsum(col) / m for col in base]
    new_means = [math.fsum(col) / m for col in new]
    try:
        base_value = float(figure.function(*base_means))
        new_value = float(figure.function(*new_means))
        base_grad = list(figure.gradient(*base_means))
        new_grad = list(figure.gradient(*new_means))
    except ZeroDivisionError:
        return None

    def linearised(cols: list[list[float]], means: list[float], grad: list[float]) -> list[float]:
        return [
            math.fsum(g * (col[i] - mean) for g, col, mean in zip(grad, cols, means))
            for i in range(m)
        ]

    u_base = linearised(base, base_means, base_grad)
    u_new = linearised(new, new_means, new_grad)
    clusters: list[Hashable] = [p.cluster for p in pairs]
    count = len(set(clusters))
    delta = new_value - base_value
    se = standard_error([b - a for a, b in zip(u_base, u_new)], clusters)
    df = count - 1 if count > 1 else None
    low, high = t_interval(delta, se, df)
    unpaired = _unpaired_in(_unpaired_counts(pairing), dataset, subset)
    return ComparisonRow(
        dataset,
        metric,
        subset,
        m,
        count,
        base_value,
        new_value,
        delta,
        se,
        low,
        high,
        df,
        _paired_t_p(delta, se, df),
        DELTA_T,
        sum(1 for a, b in zip(base[0], new[0]) if b < a),
        sum(1 for a, b in zip(base[0], new[0]) if b > a),
        standard_error(u_base, clusters),
        standard_error(u_new, clusters),
        *unpaired,
    )


def per_cluster_row(
    pairing: Pairing,
    dataset: str,
    metric: str,
    column: str,
    figure: Callable[[Sequence[float]], float],
    *,
    subset: str = OVERALL,
) -> ComparisonRow | None:
    """A figure computed per cluster from its paired samples' ``column`` values and averaged
    over clusters (AIME's unbiased pass@k over the repeats of each problem), compared.

    f_j = figure(values of cluster j) in each run, over the same paired repeats; d_j = f_j^B −
    f_j^A, Δ = mean d_j, SE_Δ the CLT SE over the C clusters (df C − 1), the interval
    Δ ± t(0.975, df) · SE_Δ and the t-test on Δ / SE_Δ (``cluster-t``); ``worse``/``better``
    count clusters whose figure fell/rose. None when no sample of the subset is paired or the
    figure is undefined for a cluster (``figure`` raises ValueError, e.g. fewer than k
    answers for pass@k).
    """
    groups: dict[str, list[PairedSample]] = {}
    for p in pairing.pairs:
        if p.ref.dataset == dataset and subset in (OVERALL, p.ref.subset):
            groups.setdefault(p.cluster, []).append(p)
    if not groups:
        return None
    try:
        base = [figure([float(p.base.get(column, 0.0)) for p in g]) for g in groups.values()]
        new = [figure([float(p.new.get(column, 0.0)) for p in g]) for g in groups.values()]
    except ValueError:
        return None
    diffs = [b - a for a, b in zip(base, new)]
    count = len(diffs)
    delta = math.fsum(diffs) / count
    se = standard_error(diffs)
    df = count - 1 if count > 1 else None
    low, high = t_interval(delta, se, df)
    unpaired = _unpaired_in(_unpaired_counts(pairing), dataset, subset)
    return ComparisonRow(
        dataset,
        metric,
        subset,
        sum(len(g) for g in groups.values()),
        count,
        math.fsum(base) / count,
        math.fsum(new) / count,
        delta,
        se,
        low,
        high,
        df,
        _paired_t_p(delta, se, df),
        CLUSTER_T,
        sum(1 for d in diffs if d < 0),
        sum(1 for d in diffs if d > 0),
        standard_error(base),
        standard_error(new),
        *unpaired,
    )


@functools.lru_cache(maxsize=4096)
def mcnemar_p(worse: int, better: int) -> float:
    """McNemar's exact two-sided p, by scipy's binomial test:
    min(1, 2 · P[Binomial(b + c, ½) ≤ min(b, c)]); 1 when b + c = 0."""
    flips = worse + better
    if flips == 0:
        return 1.0
    from scipy import stats as sps  # at the end of a run only: a second of start-up

    return min(1.0, float(sps.binomtest(min(worse, better), flips, 0.5).pvalue))


def upper_bound(row: ComparisonRow) -> float | None:
    """One-sided 95% upper bound of Δ: Δ + t(0.95, df) · SE_Δ; Δ when SE_Δ = 0; None (no
    bound: the spread is unknown) when SE_Δ is undefined."""
    if row.se is None:
        return None
    if row.se == 0:
        return row.delta
    return row.delta + t_quantile(0.95, row.df) * row.se


def detectable_drop(row: ComparisonRow) -> float | None:
    """The smallest drop this comparison detects (one-sided 95%, 80% power):
    (t(0.95, df) + 0.841621) · SE, SE = SE_Δ when > 0, else sqrt(SE_A² + SE_B²); None when
    undefined (fewer than two clusters)."""
    if row.se is None or row.df is None:
        return None
    se = row.se
    if se == 0:
        if row.se_base is None or row.se_new is None:
            return None
        se = math.sqrt(row.se_base**2 + row.se_new**2)
    return (t_quantile(0.95, row.df) + Z_POWER80) * se


# -- the gate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaxDrop:
    """A ``DATASET[:METRIC][:SUBSET]=MARGIN`` gate: fail when new − baseline is below −MARGIN
    beyond noise. ``metric`` None means the dataset's first metric, ``subset`` None OVERALL;
    ``name`` holds the two-part form's NAME (a metric or a subset) until `resolve` decides."""

    dataset: str
    metric: str | None
    subset: str | None
    margin: float
    text: str
    name: str | None = None

    @property
    def resolved(self) -> bool:
        return self.name is None and self.metric is not None and self.subset is not None

    def resolve(self, metrics: Sequence[str], subsets: Sequence[str]) -> MaxDrop:
        """This gate with metric and subset named, given the dataset's metrics (the first is
        the default) and subsets; ValueError (one line) for an unknown name."""
        if not metrics:
            raise ValueError(f"{self.text!r}: {self.dataset} reports no metric")
        subsets = [*subsets, OVERALL] if OVERALL not in subsets else list(subsets)
        metric, subset = self.metric or metrics[0], self.subset or OVERALL
        if self.name is not None:
            if self.name in metrics:
                metric = self.name
            elif self.name in subsets:
                subset = self.name
            else:
                raise ValueError(
                    f"{self.text!r}: {self.name!r} is neither a metric ({', '.join(metrics)}) "
                    f"nor a subset ({', '.join(subsets)}) of {self.dataset}"
                )
        elif metric not in metrics or subset not in subsets:
            raise ValueError(
                f"{self.text!r}: unknown metric or subset of {self.dataset} "
                f"(metrics: {', '.join(metrics)}; subsets: {', '.join(subsets)})"
            )
        return replace(self, metric=metric, subset=subset, name=None)


def parse_max_drop(text: str, option: str = "--llm-max-drop") -> MaxDrop:
    """Parse ``DATASET[:METRIC][:SUBSET]=MARGIN`` (spaces around parts are ignored).

    MARGIN is a finite number ≥ 0 (0: any significant drop fails). ValueError with one line
    naming ``option`` for anything else. The two-part form stays ambiguous until `MaxDrop.resolve`.
    """
    name, sep, value = text.partition("=")
    parts = [p.strip() for p in name.split(":")]
    usage = (
        f"{option} {text!r}: expected DATASET[:METRIC][:SUBSET]=MARGIN with MARGIN a number "
        ">= 0, e.g. bfcl_v3:live_simple=0.05"
    )
    try:
        margin = float(value)
    except ValueError:
        raise ValueError(usage) from None
    if not sep or not all(parts) or len(parts) > 3 or not math.isfinite(margin) or margin < 0:
        raise ValueError(usage)
    if len(parts) == 1:
        return MaxDrop(parts[0], None, None, margin, text)
    if len(parts) == 2:
        return MaxDrop(parts[0], None, None, margin, text, name=parts[1])
    return MaxDrop(parts[0], parts[1], parts[2], margin, text)


@dataclass(frozen=True)
class GateCheck:
    """One gate against its row: the bound, the smallest detectable drop, and one line."""

    gate: MaxDrop
    row: ComparisonRow | None
    upper: float | None
    detectable: float | None
    failed: bool
    message: str


def check_max_drops(rows: Sequence[ComparisonRow], gates: Sequence[MaxDrop]) -> list[GateCheck]:
    """Each gate resolved against the rows of its dataset and checked: it fails when U < −M, and
    when its row was not compared (unknown dataset, metric or subset, or no paired sample)."""
    checks = []
    for gate in gates:
        own = [row for row in rows if row.dataset == gate.dataset]
        if not own:
            line = f"{gate.text}: not compared (no sample of {gate.dataset} is in both runs)"
            checks.append(GateCheck(gate, None, None, None, True, line))
            continue
        try:
            resolved = gate.resolve(
                list(dict.fromkeys(r.metric for r in own)),
                list(dict.fromkeys(r.subset for r in own if r.subset != OVERALL)),
            )
        except ValueError as error:
            line = f"not compared: {error.args[0]}"
            checks.append(GateCheck(gate, None, None, None, True, line))
            continue
        row = next(
            (r for r in own if (r.metric, r.subset) == (resolved.metric, resolved.subset)), None
        )
        if row is None:  # a gate on OVERALL when compare_rows was asked for none
            line = f"{gate.text}: not compared (no {resolved.subset} row)"
            checks.append(GateCheck(gate, None, None, None, True, line))
            continue
        upper, detectable = upper_bound(row), detectable_drop(row)
        failed = upper is not None and upper < -gate.margin
        checks.append(
            GateCheck(gate, row, upper, detectable, failed, _gate_line(row, gate, upper, failed))
        )
    return checks


def max_drop_failures(rows: Sequence[ComparisonRow], gates: Sequence[MaxDrop]) -> list[str]:
    """One line per gate that fails: a drop beyond its margin, or a row that was not compared."""
    return [check.message for check in check_max_drops(rows, gates) if check.failed]


# -- helpers ---------------------------------------------------------------------------------


_FIELDS = ("dataset", "subset", "sample_id", "repeat", "scored", "metrics")


def _index(records: Iterable[Mapping[str, Any]], run: str) -> dict[SampleKey, Mapping[str, Any]]:
    index: dict[SampleKey, Mapping[str, Any]] = {}
    for record in records:
        missing = [field for field in _FIELDS if field not in record]
        if missing:
            raise ValueError(f"a record of the {run} lacks {', '.join(map(repr, missing))}")
        key = (str(record["dataset"]), str(record["sample_id"]), int(record["repeat"]))
        if key in index:
            raise ValueError(f"sample {_ref(record)} appears twice in the {run}")
        index[key] = record
    return index


def _ref(record: Mapping[str, Any]) -> SampleRef:
    return SampleRef(
        str(record["dataset"]),
        str(record["subset"]),
        str(record["sample_id"]),
        int(record["repeat"]),
    )


def _describe(index: Mapping[SampleKey, Mapping[str, Any]]) -> str:
    if not index:
        return "no samples"
    datasets = sorted({key[0] for key in index})
    return f"{len(index)} samples of {', '.join(datasets)}"


def _unpaired_counts(pairing: Pairing) -> dict[tuple[str, str], list[int]]:
    counts: dict[tuple[str, str], list[int]] = {}
    for position, refs in enumerate((pairing.only_base, pairing.only_new, pairing.unscored)):
        for ref in refs:
            counts.setdefault((ref.dataset, ref.subset), [0, 0, 0])[position] += 1
    return counts


def _unpaired_in(
    unpaired_counts: dict[tuple[str, str], list[int]], dataset: str, subset: str
) -> list[int]:
    """Samples only in the baseline, only in the new run, unscored (`_unpaired_counts`): of
    one subset, or of the whole dataset for OVERALL."""
    unpaired = [0, 0, 0]
    for (name, part), counts in unpaired_counts.items():
        if name == dataset and subset in (OVERALL, part):
            unpaired = [t + c for t, c in zip(unpaired, counts)]
    return unpaired


def _row(
    dataset: str, metric: str, subset: str, pairs: Sequence[PairedSample], unpaired: Sequence[int]
) -> ComparisonRow:
    base = [float(p.base.get(metric, 0.0)) for p in pairs]
    new = [float(p.new.get(metric, 0.0)) for p in pairs]
    diffs = [b - a for a, b in zip(base, new)]
    clusters: list[Hashable] = [p.cluster for p in pairs]
    m, count = len(pairs), len(set(clusters))
    delta = math.fsum(diffs) / m
    se = standard_error(diffs, clusters)
    df = count - 1 if count > 1 else None
    low, high = t_interval(delta, se, df)
    worse = sum(1 for a, b in zip(base, new) if b < a)
    better = sum(1 for a, b in zip(base, new) if b > a)
    binary = all(v in (0.0, 1.0) for v in (*base, *new))
    if binary:
        test, p_value = MCNEMAR, mcnemar_p(worse, better)
    else:
        test, p_value = PAIRED_T, _paired_t_p(delta, se, df)
    return ComparisonRow(
        dataset,
        metric,
        subset,
        m,
        count,
        math.fsum(base) / m,
        math.fsum(new) / m,
        delta,
        se,
        low,
        high,
        df,
        p_value,
        test,
        worse,
        better,
        standard_error(base, clusters),
        standard_error(new, clusters),
        *unpaired,
    )


def _combine(
    ses: Sequence[float | None], dfs: Sequence[float | None], weights: Sequence[float]
) -> tuple[float | None, float | None]:
    """sqrt(Σ w² SE²) and its Welch–Satterthwaite df (None where undefined)."""
    known = [se for se in ses if se is not None]
    known_dfs = [df for df in dfs if df is not None]
    if len(known) < len(ses) or len(known_dfs) < len(dfs):
        return None, None
    terms = [(w * w * se * se, df) for w, se, df in zip(weights, known, known_dfs)]
    variance = math.fsum(term for term, _ in terms)
    if variance == 0:
        return 0.0, None
    df = variance**2 / math.fsum(term**2 / d for term, d in terms if term > 0)
    return math.sqrt(variance), df


def _paired_t_p(delta: float, se: float | None, df: float | None) -> float | None:
    if se is None or df is None:
        return None
    if se == 0:
        return 1.0 if delta == 0 else 0.0
    from scipy import stats as sps

    return float(2 * sps.t.sf(abs(delta / se), df))


def _gate_line(row: ComparisonRow, gate: MaxDrop, upper: float | None, failed: bool) -> str:
    interval = (
        f"95% CI {row.ci_low:+.4f} to {row.ci_high:+.4f}"
        if row.ci_low is not None and row.ci_high is not None
        else "no interval"
    )
    bound = "no bound" if upper is None else f"upper bound {upper:+.4f}"
    detectable = detectable_drop(row)
    detect = "-" if detectable is None else f"{detectable:.4f}"
    verdict = (
        f"a drop beyond the margin {gate.margin:g}"
        if failed
        else f"within the margin {gate.margin:g}"
    )
    return (
        f"{row.label}: new − baseline {row.delta:+.4f} ({interval}, {bound}) is {verdict}; "
        f"{row.worse} worse, {row.better} better of {row.n} paired; "
        f"smallest detectable drop {detect}"
    )
