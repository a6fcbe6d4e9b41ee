"""Error bars for benchmark scores: standard errors and 95% intervals on plain sequences of floats.

The formulas are those of ``specs/statistics.md`` (Miller, "Adding Error Bars to Evals",
arXiv 2411.00640, for the clustered forms; Wilson (1927) for the score interval). Every function
takes per-sample scores (floats in [0, 1], 0/1 for most metrics) and, where samples are not
independent, one cluster key per sample; each returns an `Estimate` whose ``method`` names what
was used:

==================== ====================================================================
method               figure, standard error and interval
==================== ====================================================================
``wilson``           mean of 0/1 scores; CLT SE (n − 1); Wilson interval on n
``wilson-clustered`` same, clustered SE (df C − 1); Wilson on the design-effect n_eff
``t``                mean of other scores; CLT SE; p ± t(0.975, n − 1) · SE
``t-clustered``      same, clustered SE; p ± t(0.975, C − 1) · SE
``wilson-repeats``   repeats: mean of per-problem means of 0/1 scores; CLT SE over the P
                     problem means; Wilson on the design-effect n_eff (n_eff = P at 0 or 1)
``t-repeats``        same for other scores; p ± t(0.975, P − 1) · SE
``wilson-problems``  unbiased pass@k whose per-problem values are all 0 or 1; Wilson on P
``t-problems``       unbiased pass@k; CLT SE over problems; p ± t(0.975, P − 1) · SE
``weighted``         Σ w_k m_k of disjoint parts; SE = sqrt(Σ w_k² SE_k²); t interval with
                     Welch–Satterthwaite degrees of freedom
``delta``            a smooth function of means (SimpleQA's f_score); delta-method SE from
                     the linearised per-sample values (clustered when keys are given);
                     value ± t(0.975, df) · SE
``delta-wilson``     a ratio of counts that is a share of some samples (SimpleQA's
                     correct_given_attempted = C / (C + I)); delta-method SE; Wilson on the
                     A = C + I attempted samples (clustered: on the design-effect n_eff)
``bootstrap``        any statistic without a closed form: percentile interval and SE of
                     ≥ 2,000 resamples of samples (``bootstrap-clustered``: of clusters),
                     fixed seed
==================== ====================================================================

A standard error that is undefined (one sample, or one cluster) is ``None``, never 0; the
t interval is then ``None`` too, while a Wilson interval stays defined. Intervals from t are
p ± t · SE as the spec writes them, not clipped to [0, 1].
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .passk import pass_at_k  # numpy-free, for the benchmarks; re-exported here

if TYPE_CHECKING:  # numpy and scipy are imported where they are used: a second of start-up
    import numpy as np

Z95 = 1.959964  # two-sided 95%
Z_POWER80 = 0.841621  # 80% power
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A figure with its uncertainty.

    ``se`` is None where it is undefined (n = 1, or a single cluster); ``ci_low``/``ci_high``
    bound the 95% interval (None when it cannot be formed). ``n`` counts samples, ``clusters``
    the independent units the SE was computed over (clusters or problems; None when samples
    are the units), ``df`` the degrees of freedom of the t quantile (None when unused or
    undefined).
    """

    value: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    clusters: int | None
    df: float | None
    method: str

    def to_dict(self) -> dict[str, float | int | str | None]:
        return {
            "value": self.value,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "clusters": self.clusters,
            "df": self.df,
            "method": self.method,
        }


# -- building blocks -------------------------------------------------------------------------


def standard_error(
    scores: Sequence[float], clusters: Sequence[Hashable] | None = None
) -> float | None:
    """SE of the mean: CLT with the n − 1 correction, or clustered when keys are given.

    CLT: sqrt(Σ (s_i − p)² / (n (n − 1))). Clustered, with C clusters:
    sqrt(C / (C − 1) · Σ_c (Σ_{i∈c} (s_i − p))²) / n, which equals the CLT form when every
    cluster holds one sample. None with fewer than two samples (or clusters).
    """
    values = _floats(scores)
    n = len(values)
    p = math.fsum(values) / n
    if clusters is None:
        if n < 2:
            return None
        return math.sqrt(math.fsum((s - p) ** 2 for s in values) / (n * (n - 1)))
    keys = _keys(clusters, n)
    residuals: dict[Hashable, float] = {}
    for key, s in zip(keys, values):
        residuals[key] = residuals.get(key, 0.0) + (s - p)
    c = len(residuals)
    if c < 2:
        return None
    return math.sqrt(c / (c - 1) * math.fsum(r * r for r in residuals.values())) / n


def wilson_interval(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a share p of n trials (n may be an effective, real n).

    centre = (p + z²/(2n)) / (1 + z²/n), half-width = z / (1 + z²/n) · sqrt(p(1 − p)/n +
    z²/(4n²)). Inside [0, 1], and not collapsed at p = 0 or 1. n = inf gives (p, p).
    """
    if not (n > 0) or not (0.0 <= p <= 1.0):
        raise ValueError(f"Wilson interval needs 0 <= p <= 1 and n > 0, got p={p}, n={n}")
    if math.isinf(n):
        return p, p
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def t_quantile(q: float, df: float | None) -> float:
    """Student's t quantile, scipy's `stdtrit(df, q)` (`scipy.stats.t.ppf`) within 1e-9,
    computed here: importing scipy.special cost a run 0.35 s. inf when df is undefined or < 1
    (no spread estimate)."""
    if df is None or df < 1:
        return math.inf
    if not 0.0 < q < 1.0:
        raise ValueError(f"a t quantile needs 0 < q < 1, got {q}")
    return _t_ppf(q, float(df))


@functools.lru_cache(maxsize=4096)
def _t_ppf(q: float, df: float) -> float:
    """Closed forms at one and two degrees of freedom; Cornish-Fisher's expansion in 1/df
    (Abramowitz & Stegun 26.7.5) from 1,000 on, where its error is below 1e-12 and lgamma's
    rounding would spoil the density; between them, safeguarded Newton steps on the tail."""
    if q < 0.5:
        return -_t_ppf(1.0 - q, df)
    if q == 0.5:
        return 0.0
    if df == 1.0:
        return math.tan(math.pi * (q - 0.5))
    if df == 2.0:
        return (2.0 * q - 1.0) / math.sqrt(2.0 * q * (1.0 - q))
    from statistics import NormalDist  # 6 ms of import, for the intervals at a run's end

    z = NormalDist().inv_cdf(q)
    if df >= 1000:
        z2 = z * z
        g1 = (z2 + 1) * z / 4
        g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
        g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
        g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
        return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
    tail, low, high, t = 1.0 - q, 0.0, math.inf, max(z, 1e-3)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(200):
        excess = _t_upper_tail(t, df) - tail  # decreasing in t
        low, high = (t, high) if excess > 0 else (low, t)
        density = math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))
        step = t + excess / density
        if not low < step < high:  # Newton left the bracket: bisect (or double)
            step = (low + high) / 2 if high < math.inf else 2.0 * t
        if abs(step - t) <= 1e-15 * t:
            return step
        t = step
    return t


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0: I_x(df/2, 1/2) / 2 with x = df / (df + t²)."""
    a, b = df / 2, 0.5
    x, y = df / (df + t * t), t * t / (df + t * t)
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a / 2
    return (1.0 - front * _beta_fraction(b, a, y) / b) / 2


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 100_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    return fraction


def t_interval(
    value: float, se: float | None, df: float | None
) -> tuple[float | None, float | None]:
    """value ± t(0.975, df) · SE; (value, value) when SE is 0, (None, None) when undefined."""
    if se is None:
        return None, None
    if se == 0:
        return value, value
    half = t_quantile(0.975, df) * se
    return value - half, value + half


@dataclass(frozen=True)
class Smooth:
    """A figure that is a smooth function of column means, with its gradient (delta method)."""

    function: Callable[..., float]
    gradient: Callable[..., Sequence[float]]


def _share_attempted(c: float, i: float) -> float:
    return c / (c + i)


def _share_attempted_gradient(c: float, i: float) -> tuple[float, float]:
    return i / (c + i) ** 2, -c / (c + i) ** 2


def _f_score(c: float, i: float) -> float:
    return 2 * c / (1 + c + i)


def _f_score_gradient(c: float, i: float) -> tuple[float, float]:
    d = 1 + c + i
    return 2 * (1 + i) / d**2, -2 * c / d**2


# SimpleQA's derived figures as functions of the means of is_correct (c) and is_incorrect (i):
# C / (C + I) = c / (c + i), and 2ab / (a + b) with a = c, b = c / (c + i), i.e. 2c / (1 + c + i).
CORRECT_GIVEN_ATTEMPTED = Smooth(_share_attempted, _share_attempted_gradient)
F_SCORE = Smooth(_f_score, _f_score_gradient)


# -- one figure ------------------------------------------------------------------------------


def mean_estimate(
    scores: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    *,
    binary: bool | None = None,
) -> Estimate:
    """The mean of per-sample scores with its SE and 95% interval.

    ``binary`` (default: all scores are 0 or 1) selects the Wilson interval; with clusters it
    is taken on the design-effect n_eff = n · SE² / SE_cl² (SE the unclustered CLT SE), and on
    n_eff = C when p is 0 or 1 (both SEs 0) or when SE_cl is undefined (one cluster). Other
    scores get p ± t(0.975, df) · SE with df = n − 1, or C − 1 when clustered.
    """
    values = _floats(scores)
    n = len(values)
    p = math.fsum(values) / n
    binary = _binary(values, binary)
    plain_se = standard_error(values)
    if clusters is None:
        se, count, df = plain_se, None, (n - 1 if n > 1 else None)
    else:
        keys = _keys(clusters, n)
        count = len(set(keys))
        se = standard_error(values, keys)
        df = count - 1 if count > 1 else None
    suffix = "" if clusters is None else "-clustered"
    if binary:
        n_eff = n if clusters is None else _design_n(n, p, plain_se, se, count)
        low, high = wilson_interval(p, n_eff)
        return Estimate(p, se, low, high, n, count, df, "wilson" + suffix)
    low, high = t_interval(p, se, df)
    return Estimate(p, se, low, high, n, count, df, "t" + suffix)


def repeats_estimate(
    scores: Sequence[float], problems: Sequence[Hashable], *, binary: bool | None = None
) -> Estimate:
    """k answers per problem: the mean of per-problem means m_j, SE the CLT SE over the m_j.

    With every problem answered k times this equals the clustered form with the problem as
    cluster. 0/1 scores get the Wilson interval on n_eff = n · SE_plain² / SE² (SE_plain the
    CLT SE over all n answers), n_eff = P when the score is 0 or 1 or SE is undefined; others
    get value ± t(0.975, P − 1) · SE.
    """
    values = _floats(scores)
    n = len(values)
    binary = _binary(values, binary)
    groups = _group(values, _keys(problems, n))
    means = [math.fsum(g) / len(g) for g in groups]
    count = len(means)
    value = math.fsum(means) / count
    se = standard_error(means)
    df = count - 1 if count > 1 else None
    if binary:
        n_eff = _design_n(n, value, standard_error(values), se, count)
        low, high = wilson_interval(min(1.0, max(0.0, value)), n_eff)
        return Estimate(value, se, low, high, n, count, df, "wilson-repeats")
    low, high = t_interval(value, se, df)
    return Estimate(value, se, low, high, n, count, df, "t-repeats")


def pass_at_k_estimate(scores: Sequence[float], problems: Sequence[Hashable], k: int) -> Estimate:
    """Unbiased pass@k: the mean over problems of 1 − C(n_j − c_j, k) / C(n_j, k).

    SE is the CLT SE over the P per-problem values, interval value ± t(0.975, P − 1) · SE; when
    every per-problem value is 0 or 1 (e.g. k = n_j) the Wilson interval on P. pass@1 is the
    mean of per-problem means, so k = 1 is `repeats_estimate` (same value, SE and interval).
    Every problem needs at least k answers; scores must be 0 or 1.
    """
    values = _floats(scores)
    _binary(values, True)
    if k == 1:
        return repeats_estimate(values, problems, binary=True)
    groups = _group(values, _keys(problems, len(values)))
    per_problem = [pass_at_k(len(g), round(math.fsum(g)), k) for g in groups]
    count = len(per_problem)
    if all(v in (0.0, 1.0) for v in per_problem):
        inner = mean_estimate(per_problem, binary=True)
        return replace(inner, n=len(values), clusters=count, method="wilson-problems")
    inner = mean_estimate(per_problem, binary=False)
    return replace(inner, n=len(values), clusters=count, method="t-problems")


def weighted_estimate(parts: Sequence[Estimate], weights: Sequence[float]) -> Estimate:
    """A = Σ w_k m_k over disjoint parts, SE_A = sqrt(Σ w_k² SE_k²) (None if any SE_k is).

    The interval is A ± t(0.975, df) · SE_A with Welch–Satterthwaite's df =
    SE_A⁴ / Σ (w_k² SE_k²)² / df_k (parts without df, e.g. Wilson on one sample, count as
    df = n_k − 1); df is None when SE_A = 0, and the interval is then the point A.
    """
    if len(parts) != len(weights) or not parts:
        raise ValueError("weighted_estimate needs one weight per part and at least one part")
    weights = _floats(weights)
    value = math.fsum(w * part.value for w, part in zip(weights, parts))
    n = sum(part.n for part in parts)
    clusters = (
        sum(part.clusters for part in parts if part.clusters is not None)
        if all(part.clusters is not None for part in parts)
        else None
    )
    ses = [part.se for part in parts if part.se is not None]
    if len(ses) < len(parts):
        return Estimate(value, None, None, None, n, clusters, None, "weighted")
    terms = [(w * w * se * se, _df(part)) for w, se, part in zip(weights, ses, parts)]
    variance = math.fsum(term for term, _ in terms)
    se = math.sqrt(variance)
    df = None
    if variance > 0:
        df = variance**2 / math.fsum(term**2 / part_df for term, part_df in terms if term > 0)
    low, high = t_interval(value, se, df)
    return Estimate(value, se, low, high, n, clusters, df, "weighted")


def delta_estimate(
    columns: Sequence[Sequence[float]],
    function: Callable[..., float],
    gradient: Callable[..., Sequence[float]],
    clusters: Sequence[Hashable] | None = None,
) -> Estimate:
    """A smooth function f of column means, by the delta method.

    Each sample's linearised value is u_i = Σ_j ∂f/∂x̄_j · (x_ij − x̄_j); the SE of f is the CLT
    (or clustered) SE of the mean of the u_i, i.e. sqrt(∇fᵀ Σ̂ ∇f) with the sample covariance
    of the means. Interval f ± t(0.975, df) · SE, df = n − 1 or C − 1.
    """
    cols = [_floats(column) for column in columns]
    n = len(cols[0])
    if any(len(column) != n for column in cols):
        raise ValueError("delta_estimate: columns differ in length")
    means = [math.fsum(column) / n for column in cols]
    value = float(function(*means))
    grad = list(gradient(*means))
    influence = [
        math.fsum(g * (column[i] - mean) for g, column, mean in zip(grad, cols, means))
        for i in range(n)
    ]
    if clusters is None:
        se, count, df = standard_error(influence), None, (n - 1 if n > 1 else None)
    else:
        keys = _keys(clusters, n)
        count = len(set(keys))
        se = standard_error(influence, keys)
        df = count - 1 if count > 1 else None
    low, high = t_interval(value, se, df)
    return Estimate(value, se, low, high, n, count, df, "delta")


def correct_given_attempted_estimate(
    correct: Sequence[float],
    incorrect: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
) -> Estimate:
    """SimpleQA's correct_given_attempted = C / (C + I) from per-sample 0/1 columns.

    SE by the delta method on the ratio of means (u_i = (ī c_i − c̄ i_i) / (c̄ + ī)²), which
    is sqrt(R (1 − R) / A · n / (n − 1)) without clusters, A = C + I. The figure is the share
    of correct answers among the A attempted samples, so its interval is Wilson's on A (with
    clusters: on the design-effect n_eff = A · SE_plain² / SE², and on the number of clusters
    holding an attempt when R is 0 or 1). With nothing attempted the figure is reported as 0,
    as the benchmark does, with no SE and no interval.
    """
    c_col, i_col = _floats(correct), _floats(incorrect)
    _binary(c_col, True)
    _binary(i_col, True)
    n = len(c_col)
    if len(i_col) != n:
        raise ValueError("correct and incorrect differ in length")
    keys = None if clusters is None else _keys(clusters, n)
    count = None if keys is None else len(set(keys))
    attempted = round(math.fsum(c_col) + math.fsum(i_col))
    if attempted == 0:
        return Estimate(0.0, None, None, None, n, count, None, "delta-wilson")

    ratio, gradient = CORRECT_GIVEN_ATTEMPTED.function, CORRECT_GIVEN_ATTEMPTED.gradient
    est = delta_estimate([c_col, i_col], ratio, gradient, keys)
    r = min(1.0, max(0.0, est.value))
    if keys is None:
        n_eff: float = attempted
    else:
        holding = len({k for k, c, i in zip(keys, c_col, i_col) if c + i > 0})
        plain = delta_estimate([c_col, i_col], ratio, gradient).se
        n_eff = _design_n(attempted, r, plain, est.se, holding)
    low, high = wilson_interval(r, n_eff)
    return replace(est, ci_low=low, ci_high=high, method="delta-wilson")


def f_score_estimate(
    correct: Sequence[float],
    incorrect: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
) -> Estimate:
    """SimpleQA's f_score = 2ab / (a + b), a = c̄ (is_correct), b = C / (C + I), by the delta
    method.

    With means c̄ and ī it is f = 2c̄ / (1 + c̄ + ī) (0 when nothing is correct), smooth for all
    shares, so the delta method applies everywhere: ∂f/∂c̄ = 2(1 + ī) / D², ∂f/∂ī = −2c̄ / D²,
    D = 1 + c̄ + ī. Interval f ± t(0.975, df) · SE.
    """
    return delta_estimate([correct, incorrect], F_SCORE.function, F_SCORE.gradient, clusters)


def bootstrap_estimate(
    statistic: Callable[[np.ndarray], float],
    n: int,
    clusters: Sequence[Hashable] | None = None,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Estimate:
    """Any figure computed by ``statistic(indices)`` from the samples at ``indices``.

    Resamples n samples with replacement (with clusters: C clusters, each bringing all its
    samples), ``resamples`` ≥ 2,000 times from a fixed seed. SE is the standard deviation of
    the resampled figures, the interval their 2.5% and 97.5% percentiles; resamples where the
    statistic is NaN (undefined) are left out. None with fewer than two samples or clusters.
    """
    if resamples < BOOTSTRAP_RESAMPLES:
        raise ValueError(f"a bootstrap needs at least {BOOTSTRAP_RESAMPLES} resamples")
    if n < 1:
        raise ValueError("no samples")
    import numpy as np

    value = float(statistic(np.arange(n)))
    rng = np.random.default_rng(seed)
    if clusters is None:
        count, method = None, "bootstrap"
        if n < 2:
            return Estimate(value, None, None, None, n, None, None, method)
        draws = [rng.integers(0, n, n) for _ in range(resamples)]
    else:
        method = "bootstrap-clustered"
        keys = _keys(clusters, n)
        members: dict[Hashable, list[int]] = {}
        for index, key in enumerate(keys):
            members.setdefault(key, []).append(index)
        units = [np.array(m) for m in members.values()]
        count = len(units)
        if count < 2:
            return Estimate(value, None, None, None, n, count, None, method)
        draws = [
            np.concatenate([units[j] for j in rng.integers(0, count, count)])
            for _ in range(resamples)
        ]
    figures = np.array([statistic(indices) for indices in draws], dtype=float)
    figures = figures[~np.isnan(figures)]
    if len(figures) < 2:
        return Estimate(value, None, None, None, n, count, None, method)
    low, high = np.quantile(figures, [0.025, 0.975])
    se = float(np.std(figures, ddof=1))
    return Estimate(value, se, float(low), float(high), n, count, None, method)


# -- helpers ---------------------------------------------------------------------------------


def _design_n(
    n: float, p: float, plain_se: float | None, clustered_se: float | None, clusters: int
) -> float:
    """n_eff = n · SE² / SE_cl²; the number of clusters when p is 0 or 1 or SE_cl undefined."""
    if p in (0.0, 1.0) or clustered_se is None or plain_se is None:
        return clusters
    if clustered_se == 0:
        return math.inf
    return n * plain_se**2 / clustered_se**2


def _df(part: Estimate) -> float:
    if part.df is not None:
        return part.df
    return max(1, (part.clusters or part.n) - 1)


def _floats(values: Sequence[float]) -> list[float]:
    out = [float(v) for v in values]
    if not out:
        raise ValueError("no samples")
    if not all(math.isfinite(v) for v in out):
        raise ValueError("scores must be finite numbers")
    return out


def _keys(keys: Sequence[Hashable], n: int) -> list[Hashable]:
    out = list(keys)
    if len(out) != n:
        raise ValueError(f"{len(out)} cluster keys for {n} samples")
    return out


def _binary(values: list[float], binary: bool | None) -> bool:
    is_binary = all(v in (0.0, 1.0) for v in values)
    if binary and not is_binary:
        raise ValueError("binary scores must all be 0 or 1")
    return is_binary if binary is None else binary


def _group(values: list[float], keys: list[Hashable]) -> list[list[float]]:
    groups: dict[Hashable, list[float]] = {}
    for key, value in zip(keys, values):
        groups.setdefault(key, []).append(value)
    return list(groups.values())
