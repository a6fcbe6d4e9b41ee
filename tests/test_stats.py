"""Error bars: each formula of specs/statistics.md against an independent computation.

The references here never call the module under test: numpy/scipy on the same data, a
quadratic solved by numpy for Wilson, brute-force enumeration for pass@k, and bootstraps
written in the test for the delta method.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from pytest_llmeval.scoring.stats import (
    Estimate,
    bootstrap_estimate,
    correct_given_attempted_estimate,
    delta_estimate,
    f_score_estimate,
    mean_estimate,
    pass_at_k,
    pass_at_k_estimate,
    repeats_estimate,
    standard_error,
    t_interval,
    t_quantile,
    weighted_estimate,
    wilson_interval,
)

Z = 1.959964


def wilson_reference(p: float, n: float) -> tuple[float, float]:
    """The score interval as Wilson defined it: the π with (p − π)² = z² π (1 − π) / n, i.e.
    the roots of (1 + z²/n) π² − (2p + z²/n) π + p² = 0, solved numerically."""
    roots = np.roots([1 + Z * Z / n, -(2 * p + Z * Z / n), p * p]).real
    return float(roots.min()), float(roots.max())


def bootstrap_se(statistic, columns, clusters=None, resamples=4000, seed=12345) -> float:
    """A plain bootstrap written for the test: resample rows (or whole clusters)."""
    rng = np.random.default_rng(seed)
    data = np.column_stack(columns)
    if clusters is None:
        groups = [np.array([i]) for i in range(len(data))]
    else:
        keys = np.asarray(clusters)
        groups = [np.flatnonzero(keys == key) for key in np.unique(keys)]
    figures = []
    for _ in range(resamples):
        chosen = rng.integers(0, len(groups), len(groups))
        rows = data[np.concatenate([groups[j] for j in chosen])]
        figures.append(statistic(rows))
    return float(np.nanstd(figures, ddof=1))


def clustered_reference(values: np.ndarray, keys: np.ndarray) -> float:
    """Liang–Zeger cluster-robust SE of a mean (the CR1-style C/(C−1) factor), via pandas-free
    numpy: residual totals per cluster."""
    _, inverse = np.unique(keys, return_inverse=True)
    totals = np.bincount(inverse, weights=values - values.mean())
    c = len(totals)
    return float(np.sqrt(c / (c - 1) * np.sum(totals**2)) / len(values))


# -- one mean --------------------------------------------------------------------------------


def test_clt_se_matches_scipy_sem_and_the_binary_form():
    rng = np.random.default_rng(1)
    x = rng.random(57)
    assert standard_error(x.tolist()) == pytest.approx(sps.sem(x), rel=1e-12)
    b = (rng.random(200) < 0.3).astype(float)
    p = b.mean()
    assert standard_error(b.tolist()) == pytest.approx(math.sqrt(p * (1 - p) / 199), rel=1e-12)


def test_t_interval_for_other_means_matches_scipy():
    rng = np.random.default_rng(2)
    x = rng.random(40)
    est = mean_estimate(x.tolist())
    low, high = sps.t.interval(0.95, 39, loc=x.mean(), scale=sps.sem(x))
    assert est.method == "t"
    assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert est.df == 39 and est.n == 40 and est.clusters is None
    assert est.value == pytest.approx(x.mean())


DEGREES = [1, 1.0001, 1.3, 2, 2.5, 3, 4, 7.3, 10, 29, 99, 999.9, 1000, 12345.6, 1e5, 1e7, 1e9]
LEVELS = [0.5, 0.50001, 0.6, 0.9, 0.95, 0.975, 0.995, 0.9995, 1 - 1e-6, 0.4, 0.025, 1e-6]


@pytest.mark.parametrize("df", DEGREES)
def test_t_quantile_is_scipys_and_inverts_scipys_cdf(df):
    """Each branch (closed forms at 1 and 2, Newton below 1,000, Cornish-Fisher above) against
    scipy's own quantile and, independently, its CDF at the value returned (scipy's quantile is
    itself off by up to 1e-11 near the median)."""
    from scipy import special

    for q in LEVELS:
        value = t_quantile(q, df)
        assert value == pytest.approx(float(special.stdtrit(df, q)), rel=1e-9, abs=1e-11)
        assert float(special.stdtr(df, value)) == pytest.approx(q, rel=1e-12, abs=1e-13)


def test_t_quantile_without_a_spread_or_a_level():
    assert t_quantile(0.975, None) == math.inf
    assert t_quantile(0.975, 0.5) == math.inf
    for q in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="0 < q < 1"):
            t_quantile(q, 10)


def test_wilson_interval_matches_the_solved_quadratic():
    for successes, n in [(3, 10), (17, 20), (250, 1000), (1, 3), (5, 5), (0, 7)]:
        p = successes / n
        low, high = wilson_interval(p, n)
        ref_low, ref_high = wilson_reference(p, n)
        assert low == pytest.approx(ref_low, abs=1e-9)
        assert high == pytest.approx(ref_high, abs=1e-9)


@pytest.mark.parametrize("n", [1, 4, 16, 300])
def test_wilson_at_zero_and_all_is_not_degenerate(n):
    z2 = Z * Z
    none = mean_estimate([0.0] * n)
    assert none.method == "wilson"
    assert none.ci_low == pytest.approx(0.0, abs=1e-12)
    assert 0 < none.ci_high < 1
    assert none.ci_high == pytest.approx(z2 / (n + z2))  # the upper root at p = 0
    every = mean_estimate([1.0] * n)
    assert every.ci_high == pytest.approx(1.0, abs=1e-12)
    assert 0 < every.ci_low < 1
    assert every.ci_low == pytest.approx(n / (n + z2))
    assert none.se == (None if n == 1 else 0.0)


def test_one_sample_has_no_standard_error():
    binary = mean_estimate([1.0])
    assert binary.se is None and binary.df is None
    assert binary.ci_low == pytest.approx(wilson_reference(1.0, 1)[0])  # Wilson still defined
    other = mean_estimate([0.5])
    assert other.se is None and other.ci_low is None and other.ci_high is None
    assert standard_error([0.3]) is None
    assert standard_error([0.0, 1.0, 1.0], ["a", "a", "a"]) is None  # one cluster
    assert t_interval(0.4, None, None) == (None, None)


def test_clustered_se_matches_the_cluster_robust_reference_and_a_cluster_bootstrap():
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 7, 120)
    keys = np.repeat(np.arange(120), sizes)
    difficulty = rng.random(120)[keys]
    x = (rng.random(len(keys)) < difficulty).astype(float)
    se = standard_error(x.tolist(), keys.tolist())
    assert se == pytest.approx(clustered_reference(x, keys), rel=1e-12)
    assert se == pytest.approx(bootstrap_se(lambda rows: rows[:, 0].mean(), [x], keys), rel=0.08)


def test_clustered_and_unclustered_differ_where_clusters_move_together():
    """Clusters of 5 identical answers: the clustered SE is the SE over the 60 cluster values,
    about sqrt(5) times the (wrong) independent-samples SE."""
    rng = np.random.default_rng(4)
    per_cluster = (rng.random(60) < 0.5).astype(float)
    x = np.repeat(per_cluster, 5)
    keys = np.repeat(np.arange(60), 5)
    plain = mean_estimate(x.tolist())
    clustered = mean_estimate(x.tolist(), keys.tolist())
    assert clustered.se == pytest.approx(sps.sem(per_cluster), rel=1e-12)
    assert clustered.se > 2 * plain.se
    assert clustered.method == "wilson-clustered" and clustered.clusters == 60
    assert clustered.df == 59
    n_eff = 300 * plain.se**2 / clustered.se**2
    assert n_eff == pytest.approx(5 * 60 * 59 / 299)  # about C: 60 independent answers
    assert (clustered.ci_low, clustered.ci_high) == pytest.approx(wilson_reference(x.mean(), n_eff))
    assert clustered.ci_high - clustered.ci_low > 2 * (plain.ci_high - plain.ci_low)


def test_clustered_se_with_one_sample_per_cluster_is_the_clt_se():
    rng = np.random.default_rng(5)
    x = rng.random(33).tolist()
    assert standard_error(x, list(range(33))) == pytest.approx(standard_error(x), rel=1e-12)


def test_clustered_wilson_at_zero_uses_the_number_of_clusters():
    keys = [i // 4 for i in range(40)]  # 10 clusters of 4
    est = mean_estimate([0.0] * 40, keys)
    assert est.se == 0.0
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_reference(0.0, 10), abs=1e-12)
    assert est.ci_high > mean_estimate([0.0] * 40).ci_high  # wider than 40 independent samples


def test_clustered_t_interval_for_other_means():
    rng = np.random.default_rng(6)
    keys = np.repeat(np.arange(25), 3)
    x = np.clip(rng.random(25)[keys] + rng.normal(0, 0.05, 75), 0, 1)
    est = mean_estimate(x.tolist(), keys.tolist())
    se = clustered_reference(x, keys)
    assert est.method == "t-clustered" and est.df == 24
    assert est.ci_low == pytest.approx(x.mean() - sps.t.ppf(0.975, 24) * se)


def test_clustered_coverage_holds_where_the_independent_interval_undercovers():
    """Seeded simulation: correlated clusters of 6 answers, true mean 0.5. The clustered
    Wilson interval covers near 95%; treating the answers as independent covers far less."""
    rng = np.random.default_rng(7)
    keys = np.repeat(np.arange(50), 6).tolist()
    covered = {"clustered": 0, "plain": 0}
    for _ in range(300):
        difficulty = rng.beta(0.5, 0.5, 50)
        x = (rng.random(300) < np.repeat(difficulty, 6)).astype(float).tolist()
        for name, est in (("clustered", mean_estimate(x, keys)), ("plain", mean_estimate(x))):
            covered[name] += est.ci_low <= 0.5 <= est.ci_high
    assert covered["clustered"] >= sps.binom.ppf(0.001, 300, 0.95)
    assert covered["plain"] < 0.8 * 300


def test_scores_are_validated():
    with pytest.raises(ValueError, match="no samples"):
        mean_estimate([])
    with pytest.raises(ValueError, match="finite"):
        mean_estimate([0.5, float("nan")])
    with pytest.raises(ValueError, match="cluster keys"):
        mean_estimate([1.0, 0.0], ["a"])
    with pytest.raises(ValueError, match="0 or 1"):
        mean_estimate([0.5, 1.0], binary=True)


# -- repeats and pass@k ----------------------------------------------------------------------


def test_repeats_mean_of_problem_means_with_se_over_problems():
    rng = np.random.default_rng(8)
    answers = (rng.random((30, 4)) < rng.random((30, 1))).astype(float)  # 30 problems × 4
    scores = answers.ravel().tolist()
    problems = np.repeat(np.arange(30), 4).tolist()
    est = repeats_estimate(scores, problems)
    means = answers.mean(axis=1)
    assert est.value == pytest.approx(means.mean())
    assert est.se == pytest.approx(sps.sem(means), rel=1e-12)
    assert est.se == pytest.approx(standard_error(scores, problems), rel=1e-12)  # equal k
    assert est.n == 120 and est.clusters == 30 and est.df == 29
    assert est.method == "wilson-repeats"
    n_eff = 120 * sps.sem(answers.ravel()) ** 2 / sps.sem(means) ** 2
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_reference(means.mean(), n_eff))


def test_repeats_with_unequal_counts_average_problems_not_answers():
    scores = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    problems = ["a", "a", "a", "a", "b", "c", "c"]  # means 1, 0, 0.5
    est = repeats_estimate(scores, problems)
    assert est.value == pytest.approx(0.5)  # the pooled mean would be 5/7
    assert est.se == pytest.approx(sps.sem([1.0, 0.0, 0.5]))


def test_repeats_all_solved_stays_non_degenerate():
    est = repeats_estimate([1.0] * 12, [i // 3 for i in range(12)])
    assert est.se == 0.0
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_reference(1.0, 4), abs=1e-12)


def brute_pass_at_k(answers: list[float], k: int) -> float:
    """The share of k-subsets of a problem's answers holding at least one correct answer."""
    subsets = list(itertools.combinations(answers, k))
    return sum(any(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_pass_at_k_matches_enumeration_with_se_over_problems(k):
    rng = np.random.default_rng(9)
    answers = (rng.random((20, 5)) < rng.random((20, 1))).astype(float)
    per_problem = [brute_pass_at_k(row.tolist(), k) for row in answers]
    for row, value in zip(answers, per_problem):
        assert pass_at_k(5, int(row.sum()), k) == pytest.approx(value)
    est = pass_at_k_estimate(answers.ravel().tolist(), np.repeat(np.arange(20), 5).tolist(), k)
    assert est.value == pytest.approx(np.mean(per_problem))
    assert est.se == pytest.approx(sps.sem(per_problem), rel=1e-12)
    assert est.clusters == 20 and est.n == 100
    if k == 5:  # pass@n per problem is 0 or 1: Wilson on the 20 problems
        assert est.method == "wilson-problems"
        assert (est.ci_low, est.ci_high) == pytest.approx(
            wilson_reference(np.mean(per_problem), 20)
        )
    else:
        assert est.method == "t-problems"
        assert est.ci_high == pytest.approx(
            np.mean(per_problem) + sps.t.ppf(0.975, 19) * sps.sem(per_problem)
        )


def test_pass_at_1_is_the_repeats_estimate_and_needs_enough_answers():
    scores = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    problems = [0, 0, 1, 1, 2, 2]
    assert pass_at_k_estimate(scores, problems, 1) == repeats_estimate(scores, problems)
    with pytest.raises(ValueError, match="0 < k <= n"):
        pass_at_k_estimate(scores, problems, 3)


# -- aggregates and derived figures ----------------------------------------------------------


def test_weighted_aggregate_of_disjoint_parts():
    rng = np.random.default_rng(10)
    parts = [(rng.random(n) < p).astype(float) for n, p in ((400, 0.9), (16, 0.4), (250, 0.7))]
    weights = [0.5, 0.25, 0.25]
    est = weighted_estimate([mean_estimate(x.tolist()) for x in parts], weights)
    sems = np.array([sps.sem(x) for x in parts])
    w = np.array(weights)
    assert est.value == pytest.approx(sum(wk * x.mean() for wk, x in zip(weights, parts)))
    assert est.se == pytest.approx(np.sqrt(np.sum(w**2 * sems**2)), rel=1e-12)
    dfs = np.array([len(x) - 1 for x in parts])
    df = np.sum(w**2 * sems**2) ** 2 / np.sum((w**2 * sems**2) ** 2 / dfs)
    assert est.df == pytest.approx(df)
    assert est.ci_high == pytest.approx(est.value + sps.t.ppf(0.975, df) * est.se)
    assert est.method == "weighted" and est.n == 666

    def stratified(rows_by_part):
        return sum(wk * rows.mean() for wk, rows in zip(weights, rows_by_part))

    boot = np.random.default_rng(11)
    figures = [
        stratified([x[boot.integers(0, len(x), len(x))] for x in parts]) for _ in range(3000)
    ]
    assert est.se == pytest.approx(np.std(figures, ddof=1), rel=0.08)


def test_weighted_aggregate_with_an_undefined_part_has_no_se():
    est = weighted_estimate([mean_estimate([1.0]), mean_estimate([0.0, 1.0])], [0.5, 0.5])
    assert est.value == pytest.approx(0.75) and est.se is None and est.ci_low is None


def simpleqa_columns(n: int, shares: tuple[float, float, float], seed: int):
    rng = np.random.default_rng(seed)
    grade = rng.choice(3, n, p=shares)  # 0 correct, 1 incorrect, 2 not attempted
    return (grade == 0).astype(float), (grade == 1).astype(float)


def test_correct_given_attempted_delta_method_against_a_bootstrap():
    correct, incorrect = simpleqa_columns(400, (0.45, 0.35, 0.2), 12)
    est = correct_given_attempted_estimate(correct.tolist(), incorrect.tolist())
    c, i, n = correct.sum(), incorrect.sum(), 400
    r = c / (c + i)
    assert est.value == pytest.approx(r)
    assert est.se == pytest.approx(math.sqrt(r * (1 - r) / (c + i) * n / (n - 1)), rel=1e-9)
    boot = bootstrap_se(lambda rows: rows[:, 0].sum() / rows.sum(), [correct, incorrect])
    assert est.se == pytest.approx(boot, rel=0.08)
    assert est.method == "delta-wilson"
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_reference(r, c + i))


def test_correct_given_attempted_clustered_against_a_cluster_bootstrap():
    rng = np.random.default_rng(13)
    keys = np.repeat(np.arange(80), 5)
    skill = rng.random(80)[keys]
    attempted = rng.random(400) < 0.8
    right = rng.random(400) < skill
    correct, incorrect = (attempted & right).astype(float), (attempted & ~right).astype(float)
    est = correct_given_attempted_estimate(correct.tolist(), incorrect.tolist(), keys.tolist())
    boot = bootstrap_se(lambda rows: rows[:, 0].sum() / rows.sum(), [correct, incorrect], keys)
    assert est.se == pytest.approx(boot, rel=0.1)
    plain = correct_given_attempted_estimate(correct.tolist(), incorrect.tolist())
    assert est.se > 1.5 * plain.se
    assert est.clusters == 80 and est.df == 79


def test_correct_given_attempted_edges():
    nothing = correct_given_attempted_estimate([0.0, 0.0], [0.0, 0.0])
    assert nothing.value == 0.0 and nothing.se is None and nothing.ci_low is None
    all_right = correct_given_attempted_estimate([1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0])
    assert all_right.value == 1.0 and all_right.se == 0.0
    assert (all_right.ci_low, all_right.ci_high) == pytest.approx(wilson_reference(1.0, 3))


def test_f_score_is_the_harmonic_mean_and_its_delta_se_matches_a_bootstrap():
    correct, incorrect = simpleqa_columns(500, (0.5, 0.3, 0.2), 14)
    est = f_score_estimate(correct.tolist(), incorrect.tolist())
    a = correct.mean()
    b = correct.sum() / (correct.sum() + incorrect.sum())
    assert est.value == pytest.approx(2 * a * b / (a + b))

    def f(rows):
        a = rows[:, 0].mean()
        b = rows[:, 0].sum() / rows.sum()
        return 2 * a * b / (a + b)

    assert est.se == pytest.approx(bootstrap_se(f, [correct, incorrect]), rel=0.08)
    assert est.method == "delta" and est.df == 499
    assert est.ci_low == pytest.approx(est.value - sps.t.ppf(0.975, 499) * est.se)


def test_f_score_clustered_against_a_cluster_bootstrap():
    rng = np.random.default_rng(15)
    keys = np.repeat(np.arange(100), 4)
    skill = rng.random(100)[keys]
    attempted = rng.random(400) < 0.7
    right = rng.random(400) < skill
    correct, incorrect = (attempted & right).astype(float), (attempted & ~right).astype(float)

    def f(rows):
        a = rows[:, 0].mean()
        b = rows[:, 0].sum() / rows.sum()
        return 2 * a * b / (a + b)

    est = f_score_estimate(correct.tolist(), incorrect.tolist(), keys.tolist())
    assert est.se == pytest.approx(bootstrap_se(f, [correct, incorrect], keys), rel=0.1)


def test_delta_method_on_a_general_function_matches_the_covariance_form():
    rng = np.random.default_rng(16)
    x, y = rng.random(300), rng.random(300) + 0.5
    est = delta_estimate(
        [x.tolist(), y.tolist()], lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)
    )
    grad = np.array([1 / y.mean(), -x.mean() / y.mean() ** 2])
    cov = np.cov(np.vstack([x, y])) / 300  # covariance of the two means (n − 1 form)
    assert est.se == pytest.approx(math.sqrt(grad @ cov @ grad), rel=1e-9)


def test_bootstrap_estimate_is_seeded_and_matches_the_clt_se():
    rng = np.random.default_rng(17)
    x = rng.random(300)
    first = bootstrap_estimate(lambda idx: float(x[idx].mean()), 300)
    assert first == bootstrap_estimate(lambda idx: float(x[idx].mean()), 300)
    assert first.method == "bootstrap" and first.value == pytest.approx(x.mean())
    assert first.se == pytest.approx(sps.sem(x), rel=0.08)
    assert first.ci_low < x.mean() < first.ci_high
    with pytest.raises(ValueError, match="2000"):
        bootstrap_estimate(lambda idx: 0.0, 10, resamples=500)


def test_clustered_bootstrap_matches_the_clustered_se():
    rng = np.random.default_rng(18)
    keys = np.repeat(np.arange(60), 5)
    x = (rng.random(300) < rng.random(60)[keys]).astype(float)
    est = bootstrap_estimate(lambda idx: float(x[idx].mean()), 300, keys.tolist())
    assert est.method == "bootstrap-clustered" and est.clusters == 60
    assert est.se == pytest.approx(clustered_reference(x, keys), rel=0.1)
    one = bootstrap_estimate(lambda idx: float(x[idx].mean()), 1)
    assert one.se is None


def test_estimate_serialises_to_plain_data():
    est = mean_estimate([1.0, 0.0, 1.0])
    data = est.to_dict()
    assert Estimate(**data) == est
    assert set(data) == {"value", "se", "ci_low", "ci_high", "n", "clusters", "df", "method"}


def test_intervals_import_neither_scipy_nor_numpy():
    """A run's error bars (every method but the bootstrap) cost no scipy import (0.35 s)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pytest_llmeval.scoring.stats import *\n"
        "other = mean_estimate([0.2, 0.5, 0.9, 0.4])\n"
        "repeats = repeats_estimate([0.3, 0.6], ['a', 'b'])\n"
        "parts = [mean_estimate([0.0, 1.0, 1.0]), other, repeats]\n"
        "weighted_estimate(parts, [0.2, 0.3, 0.5])\n"
        "f_score_estimate([1.0, 0.0, 1.0], [0.0, 1.0, 0.0])\n"
        "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
