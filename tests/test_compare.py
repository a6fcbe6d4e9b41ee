"""Paired comparison with a baseline and the max-drop gate, against scipy on the same data, and
the gate's false-alarm rate over seeded simulations of runs that differ only by chance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from pytest_llmeval.reporting.compare import (
    OVERALL,
    ComparisonRow,
    MaxDrop,
    NoOverlapError,
    SampleRef,
    check_max_drops,
    compare_rows,
    derived_row,
    detectable_drop,
    max_drop_failures,
    mcnemar_p,
    pair,
    parse_max_drop,
    upper_bound,
    weighted_row,
)
from pytest_llmeval.scoring.stats import CORRECT_GIVEN_ATTEMPTED, F_SCORE


def record(sample_id, value, *, subset="s", dataset="d", repeat=0, scored=True, **extra):
    metrics = value if isinstance(value, dict) else {"acc": float(value)}
    return {
        "dataset": dataset,
        "subset": subset,
        "sample_id": str(sample_id),
        "repeat": repeat,
        "scored": scored,
        "metrics": metrics,
        **extra,
    }


def run(values, subset="s", **extra):
    return [record(i, v, subset=subset, **extra) for i, v in enumerate(values)]


def only_row(rows, subset="s", metric="acc"):
    (row,) = [r for r in rows if (r.subset, r.metric) == (subset, metric)]
    return row


# -- pairing ---------------------------------------------------------------------------------


def test_pairs_match_on_dataset_sample_and_repeat_and_unpaired_ones_are_named():
    base = [record(1, 1), record(2, 0), record(3, 1), record(9, 1, dataset="other")]
    new = [record(2, 1), record(3, 1), record(1, 0), record(4, 1)]
    new.append(record(9, 1, dataset="other", repeat=1))
    pairing = pair(base, new)
    assert [p.ref.sample_id for p in pairing.pairs] == ["1", "2", "3"]  # baseline's order
    assert [(p.base["acc"], p.new["acc"]) for p in pairing.pairs] == [(1, 0), (0, 1), (1, 1)]
    assert pairing.only_base == (SampleRef("other", "s", "9", 0),)
    assert pairing.only_new == (SampleRef("d", "s", "4", 0), SampleRef("other", "s", "9", 1))
    assert pairing.unpaired_lines() == [
        "1 samples only in the baseline: other/9/r0",
        "2 samples only in the new run: d/4/r0, other/9/r1",
    ]


def test_unscored_samples_take_no_part_but_are_counted():
    base = run([1, 1, 0])
    new = run([1, 0, 0])
    new[1]["scored"] = False  # a failed call
    pairing = pair(base, new)
    assert len(pairing.pairs) == 2 and pairing.unscored == (SampleRef("d", "s", "1", 0),)
    row = only_row(compare_rows(pairing))
    assert (row.n, row.worse, row.unscored) == (2, 0, 1)


def test_no_overlap_is_a_clear_error():
    with pytest.raises(NoOverlapError, match="no sample is in both runs"):
        pair(run([1, 0]), run([1, 0], dataset="other"))
    with pytest.raises(NoOverlapError, match="baseline: no samples"):
        pair([], run([1]))
    unscored = run([1])
    unscored[0]["scored"] = False
    with pytest.raises(NoOverlapError, match="scored in both runs"):
        pair(run([1]), unscored)
    assert issubclass(NoOverlapError, ValueError)


def test_inconsistent_records_are_rejected():
    with pytest.raises(ValueError, match="appears twice in the new run"):
        pair(run([1]), run([1]) + run([0]))
    with pytest.raises(ValueError, match="in subset 's' in the baseline and 't'"):
        pair(run([1]), run([1], subset="t"))
    with pytest.raises(ValueError, match="lacks 'scored'"):
        pair([{"dataset": "d", "subset": "s", "sample_id": "1", "repeat": 0, "metrics": {}}], [])


def test_a_sample_only_in_the_baseline_is_counted_on_its_subset_and_overall():
    base = [*run([1, 1, 1, 0]), record(7, 1, subset="t")]
    new = run([1, 1, 1])
    rows = compare_rows(pair(base, new))
    assert [(r.subset, r.n, r.only_base) for r in rows] == [("s", 3, 1), (OVERALL, 3, 2)]


def test_repeats_on_one_side_only_pair_the_common_repeat():
    base = [record(i, 1, repeat=0) for i in range(4)]
    new = [record(i, v, repeat=r) for i in range(4) for r, v in enumerate((1, 0, 0))]
    pairing = pair(base, new)
    assert {p.ref.repeat for p in pairing.pairs} == {0}
    assert len(pairing.only_new) == 8 and not pairing.only_base
    row = only_row(compare_rows(pairing))
    assert (row.n, row.delta, row.only_new) == (4, 0.0, 8)


# -- the paired figures ----------------------------------------------------------------------


def test_binary_rows_against_scipy_and_mcnemar():
    rng = np.random.default_rng(20)
    a = (rng.random(300) < 0.7).astype(float)
    b = np.where(rng.random(300) < 0.85, a, 1 - a)
    row = only_row(compare_rows(pair(run(a), run(b))))
    d = b - a
    worse, better = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    assert (row.worse, row.better, row.n, row.clusters) == (worse, better, 300, 300)
    assert (row.base, row.new) == (pytest.approx(a.mean()), pytest.approx(b.mean()))
    assert row.delta == pytest.approx(d.mean())
    assert row.se == pytest.approx(sps.sem(d), rel=1e-12)
    assert row.df == 299
    low, high = sps.t.interval(0.95, 299, loc=d.mean(), scale=sps.sem(d))
    assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert row.test == "mcnemar-exact"
    spec_p = min(1.0, 2 * sps.binom.cdf(min(worse, better), worse + better, 0.5))
    assert row.p_value == pytest.approx(spec_p, rel=1e-9)
    assert row.p_value == pytest.approx(sps.binomtest(worse, worse + better, 0.5).pvalue)
    assert row.se_base == pytest.approx(sps.sem(a)) and row.se_new == pytest.approx(sps.sem(b))


@pytest.mark.parametrize(("worse", "better"), [(0, 0), (5, 5), (0, 7), (12, 3), (40, 61)])
def test_mcnemar_matches_the_exact_binomial_formula(worse, better):
    expected = (
        1.0
        if worse + better == 0
        else min(1.0, 2 * sps.binom.cdf(min(worse, better), worse + better, 0.5))
    )
    assert mcnemar_p(worse, better) == pytest.approx(expected, rel=1e-9)


def test_other_scores_get_the_paired_t_test():
    rng = np.random.default_rng(21)
    a = rng.random(50)
    b = np.clip(a + rng.normal(0.03, 0.1, 50), 0, 1)
    row = only_row(compare_rows(pair(run(a), run(b))))
    assert row.test == "paired-t"
    assert row.p_value == pytest.approx(sps.ttest_rel(b, a).pvalue, rel=1e-9)
    assert (row.worse, row.better) == (int(np.sum(b < a)), int(np.sum(b > a)))


def test_clustered_difference_where_clusters_move_together():
    """Repeats of one problem flip together: the clustered SE_Δ is the SE over the 40 problem
    means of d, about sqrt(5) times the independent-pairs SE."""
    rng = np.random.default_rng(22)
    base_problem = (rng.random(40) < 0.6).astype(float)
    new_problem = np.where(rng.random(40) < 0.7, base_problem, 1 - base_problem)
    base = [record(j, base_problem[j], repeat=r) for j in range(40) for r in range(5)]
    new = [record(j, new_problem[j], repeat=r) for j in range(40) for r in range(5)]
    row = only_row(compare_rows(pair(base, new)))  # cluster defaults to the sample id
    d_problem = new_problem - base_problem
    assert row.clusters == 40 and row.df == 39 and row.n == 200
    assert row.se == pytest.approx(sps.sem(d_problem), rel=1e-12)
    independent = sps.sem(np.repeat(d_problem, 5))
    assert row.se > 2 * independent
    assert row.ci_high == pytest.approx(d_problem.mean() + sps.t.ppf(0.975, 39) * row.se)


def test_declared_cluster_keys_group_samples():
    base = [record(i, 1, cluster=f"c{i // 2}") for i in range(8)]
    new = [record(i, 0 if i < 2 else 1, cluster=f"c{i // 2}") for i in range(8)]
    row = only_row(compare_rows(pair(base, new)))
    assert row.clusters == 4
    assert row.se == pytest.approx(sps.sem([-1.0, 0.0, 0.0, 0.0]))


def test_rows_per_subset_then_overall_for_each_metric():
    base = run([1, 0, 1], subset="a") + [
        record(10 + i, {"acc": 1.0, "f1": 0.5}, subset="b") for i in range(2)
    ]
    new = run([1, 1, 1], subset="a") + [
        record(10 + i, {"acc": 0.0, "f1": 0.25}, subset="b") for i in range(2)
    ]
    rows = compare_rows(pair(base, new))
    assert [(r.metric, r.subset, r.n) for r in rows] == [
        ("acc", "a", 3),
        ("acc", "b", 2),
        ("acc", OVERALL, 5),
        ("f1", "a", 3),  # a record without the metric counts 0, as in the report's means
        ("f1", "b", 2),
        ("f1", OVERALL, 5),
    ]
    overall = rows[2]
    assert overall.delta == pytest.approx((1 - 2) / 5) and (overall.worse, overall.better) == (2, 1)
    assert rows[4].test == "paired-t" and rows[4].delta == pytest.approx(-0.25)
    assert [r.subset for r in compare_rows(pair(base, new), overall=False)] == ["a", "b"] * 2


def test_a_metric_in_one_run_only_is_not_compared():
    rows = compare_rows(pair(run([1, 0]), [record(i, {"acc": 1.0, "new": 1.0}) for i in range(2)]))
    assert {r.metric for r in rows} == {"acc"}


def test_one_pair_has_no_standard_error():
    row = only_row(compare_rows(pair(run([1]), run([0]))))
    assert (row.n, row.delta, row.se, row.ci_low, row.df) == (1, -1.0, None, None, None)
    assert row.p_value == 1.0  # McNemar on one flip
    assert upper_bound(row) is None and detectable_drop(row) is None
    assert max_drop_failures([row], [parse_max_drop("d:acc:s=0")]) == []  # no bound: no drop


@pytest.mark.parametrize("value", [0, 1])
def test_all_pass_or_all_fail_in_both_runs(value):
    row = only_row(compare_rows(pair(run([value] * 20), run([value] * 20))))
    assert (row.delta, row.se, row.ci_low, row.ci_high) == (0.0, 0.0, 0.0, 0.0)
    assert (row.p_value, row.worse, row.better) == (1.0, 0, 0)
    assert (row.se_base, row.se_new) == (0.0, 0.0)
    assert upper_bound(row) == 0.0
    assert max_drop_failures([row], [parse_max_drop("d:s=0")]) == []


def test_every_sample_flipping_down_is_a_drop_with_no_spread():
    row = only_row(compare_rows(pair(run([1] * 10), run([0] * 10))))
    assert (row.delta, row.se, row.worse) == (-1.0, 0.0, 10)
    assert upper_bound(row) == -1.0  # SE_Δ = 0: U = Δ
    assert row.p_value == pytest.approx(2 * 0.5**10)
    assert len(max_drop_failures([row], [parse_max_drop("d=0.5")])) == 1


# -- derived figures ------------------------------------------------------------------------


def test_weighted_row_of_disjoint_subsets_against_a_stratified_paired_bootstrap():
    rng = np.random.default_rng(27)
    base, new, diffs = [], [], []
    for subset, size in (("simple", 400), ("parallel", 16), ("multiple", 200)):
        a = (rng.random(size) < 0.8).astype(float)
        b = np.where(rng.random(size) < 0.15, 1 - a, a)
        base += [record(f"{subset}{i}", v, subset=subset) for i, v in enumerate(a)]
        new += [record(f"{subset}{i}", v, subset=subset) for i, v in enumerate(b)]
        diffs.append(b - a)
    rows = [r for r in compare_rows(pair(base, new)) if r.subset != OVERALL]
    weights = [0.5, 0.25, 0.25]
    row = weighted_row(rows, weights, metric="LeaderboardAccuracy", subset="NON_LIVE")
    w = np.array(weights)
    terms = w**2 * np.array([sps.sem(d) ** 2 for d in diffs])
    df = terms.sum() ** 2 / np.sum(terms**2 / np.array([len(d) - 1 for d in diffs]))
    assert row.delta == pytest.approx(sum(wk * d.mean() for wk, d in zip(weights, diffs)))
    assert row.se == pytest.approx(math.sqrt(terms.sum()), rel=1e-12)
    assert row.df == pytest.approx(df)
    assert row.p_value == pytest.approx(2 * sps.t.sf(abs(row.delta / row.se), df))
    assert row.ci_low == pytest.approx(row.delta - sps.t.ppf(0.975, df) * row.se)
    assert (row.n, row.test, row.subset) == (616, "weighted-t", "NON_LIVE")
    assert row.worse == sum(int(np.sum(d < 0)) for d in diffs)
    boot = np.random.default_rng(28)
    figures = [
        sum(wk * d[boot.integers(0, len(d), len(d))].mean() for wk, d in zip(weights, diffs))
        for _ in range(3000)
    ]
    assert row.se == pytest.approx(np.std(figures, ddof=1), rel=0.08)
    with pytest.raises(ValueError, match="OVERALL overlaps"):
        weighted_row(compare_rows(pair(base, new))[-2:], [0.5, 0.5], metric="x", subset="y")


def simpleqa_run(grades, ids, keys=None):
    names = ("is_correct", "is_incorrect", "is_not_attempted")
    return [
        record(
            i,
            {name: float(g == k) for k, name in enumerate(names)},
            **({} if keys is None else {"cluster": str(keys[n])}),
        )
        for n, (i, g) in enumerate(zip(ids, grades))
    ]


def simpleqa_pair(seed, n=400, keys=None):
    """Grades of two runs (0 correct, 1 incorrect, 2 not attempted); the new run regrades
    half the samples with other shares, so the two runs' gradients differ. With cluster keys,
    a cluster's samples share their grades."""
    rng = np.random.default_rng(seed)
    units = n if keys is None else len(np.unique(keys))
    base = rng.choice(3, units, p=(0.5, 0.3, 0.2))
    new = np.where(rng.random(units) < 0.5, rng.choice(3, units, p=(0.2, 0.5, 0.3)), base)
    if keys is not None:
        base, new = base[keys], new[keys]
    ids = [str(i) for i in range(n)]
    return base, new, pair(simpleqa_run(base, ids, keys), simpleqa_run(new, ids, keys))


def share(grades):
    return np.sum(grades == 0) / np.sum(grades < 2)


def f_score(grades):
    a, b = np.mean(grades == 0), share(grades)
    return 2 * a * b / (a + b)


def paired_bootstrap_se(figure, base, new, keys=None, resamples=3000, seed=29):
    rng = np.random.default_rng(seed)
    if keys is None:
        groups = [np.array([i]) for i in range(len(base))]
    else:
        groups = [np.flatnonzero(keys == k) for k in np.unique(keys)]
    out = []
    for _ in range(resamples):
        idx = np.concatenate([groups[j] for j in rng.integers(0, len(groups), len(groups))])
        out.append(figure(new[idx]) - figure(base[idx]))
    return float(np.std(out, ddof=1))


def harmonic(c, i):
    a, b = c, c / (c + i)
    return 2 * a * b / (a + b)


of_means = {share: lambda c, i: c / (c + i), f_score: harmonic}  # the figures from (c̄, ī)


def numeric_gradient(function, c, i, h=1e-6):
    return np.array(
        [
            (function(c + h, i) - function(c - h, i)) / (2 * h),
            (function(c, i + h) - function(c, i - h)) / (2 * h),
        ]
    )


@pytest.mark.parametrize(
    ("figure", "reference"), [(CORRECT_GIVEN_ATTEMPTED, share), (F_SCORE, f_score)]
)
def test_derived_figures_by_the_paired_delta_method_against_a_paired_bootstrap(figure, reference):
    base, new, pairing = simpleqa_pair(30)
    columns = ["is_correct", "is_incorrect"]
    row = derived_row(pairing, "d", "derived", columns, figure)
    assert (row.base, row.new) == (pytest.approx(reference(base)), pytest.approx(reference(new)))
    assert row.delta == pytest.approx(reference(new) - reference(base))
    assert row.se == pytest.approx(paired_bootstrap_se(reference, base, new), rel=0.08)
    # the delta method's covariance form: Var = ∇_Bᵀ Σ_BB ∇_B + ∇_Aᵀ Σ_AA ∇_A − 2 ∇_Bᵀ Σ_BA ∇_A
    data = np.vstack([base == 0, base == 1, new == 0, new == 1]).astype(float)
    cov = np.cov(data) / 400
    grad_a = numeric_gradient(of_means[reference], *data[:2].mean(axis=1))
    grad_b = numeric_gradient(of_means[reference], *data[2:].mean(axis=1))
    g = np.concatenate([-grad_a, grad_b])
    assert row.se == pytest.approx(math.sqrt(g @ cov @ g), rel=1e-6)
    assert (row.test, row.n, row.df, row.subset) == ("delta-t", 400, 399, OVERALL)
    assert row.p_value == pytest.approx(2 * sps.t.sf(abs(row.delta / row.se), 399))
    assert row.worse == int(np.sum((base == 0) & (new != 0)))


def test_derived_figure_clustered_against_a_cluster_bootstrap():
    keys = np.repeat(np.arange(100), 4)
    base, new, pairing = simpleqa_pair(31, keys=keys)
    row = derived_row(pairing, "d", "f_score", ["is_correct", "is_incorrect"], F_SCORE)
    assert row.clusters == 100 and row.df == 99
    assert row.se == pytest.approx(paired_bootstrap_se(f_score, base, new, keys), rel=0.1)
    assert row.se > 1.5 * paired_bootstrap_se(f_score, base, new)  # as if independent


def test_derived_figure_undefined_in_a_run_is_no_row():
    ids = ["0", "1"]
    pairing = pair(simpleqa_run([2, 2], ids), simpleqa_run([0, 1], ids))
    assert (
        derived_row(pairing, "d", "r", ["is_correct", "is_incorrect"], CORRECT_GIVEN_ATTEMPTED)
        is None
    )
    assert derived_row(pairing, "d", "f", ["is_correct", "is_incorrect"], F_SCORE) is not None
    assert derived_row(pairing, "other", "f", ["is_correct"], F_SCORE) is None


# -- the gate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bfcl_v3=0.05", MaxDrop("bfcl_v3", None, None, 0.05, "bfcl_v3=0.05")),
        ("aime25=0", MaxDrop("aime25", None, None, 0.0, "aime25=0")),
        (" d : live = .1 ", MaxDrop("d", None, None, 0.1, " d : live = .1 ", name="live")),
        ("d:acc:live=2", MaxDrop("d", "acc", "live", 2.0, "d:acc:live=2")),
    ],
)
def test_gate_forms(text, expected):
    assert parse_max_drop(text) == expected


@pytest.mark.parametrize(
    "text",
    ["d", "d=", "=0.1", "d:=0.1", "d:a:b:c=0.1", "d=abc", "d=-0.01", "d=nan", "d=inf", "d=0.1=2"],
)
def test_malformed_gates_are_one_line_value_errors(text):
    with pytest.raises(ValueError) as error:
        parse_max_drop(text, option="--max-drop")
    message = str(error.value)
    assert "\n" not in message
    assert message == (
        f"--max-drop {text!r}: expected DATASET[:METRIC][:SUBSET]=MARGIN with MARGIN a number "
        ">= 0, e.g. bfcl_v3:live_simple=0.05"
    )


def test_gates_resolve_against_the_dataset_figures():
    metrics, subsets = ["acc", "f1"], ["live", "simple"]

    def named(text):
        gate = parse_max_drop(text).resolve(metrics, subsets)
        return gate.dataset, gate.metric, gate.subset, gate.name

    assert named("d=0") == ("d", "acc", OVERALL, None)
    assert named("d:f1=0") == ("d", "f1", OVERALL, None)
    assert named("d:live=0") == ("d", "acc", "live", None)
    assert named("d:OVERALL=0") == ("d", "acc", OVERALL, None)
    assert not parse_max_drop("d:live=0").resolved
    assert parse_max_drop("d:f1:simple=0").resolve(metrics, subsets).resolved
    with pytest.raises(ValueError, match="'x' is neither a metric"):
        parse_max_drop("d:x=0").resolve(metrics, subsets)
    with pytest.raises(ValueError, match="unknown metric or subset of d"):
        parse_max_drop("d:f1:x=0").resolve(metrics, subsets)


def test_gate_bound_against_an_independent_computation():
    rng = np.random.default_rng(23)
    a = (rng.random(200) < 0.8).astype(float)
    b = np.where(rng.random(200) < 0.1, 0.0, a)  # about 8 points worse
    rows = compare_rows(pair(run(a), run(b)))
    row = only_row(rows)
    d = b - a
    u = d.mean() + sps.t.ppf(0.95, 199) * sps.sem(d)
    assert upper_bound(row) == pytest.approx(u)
    checks = check_max_drops(rows, [parse_max_drop("d=0"), parse_max_drop(f"d:s={-u + 0.01}")])
    assert [c.failed for c in checks] == [u < 0, False]
    assert u < 0  # the data was built so that the drop is significant
    (line,) = max_drop_failures(rows, [parse_max_drop("d=0")])
    assert line.startswith(f"d acc OVERALL: new − baseline {d.mean():+.4f} (95% CI ")
    assert "is a drop beyond the margin 0" in line
    assert f"{int(np.sum(d < 0))} worse, 0 better of 200 paired" in line
    sdd = (sps.t.ppf(0.95, 199) + 0.841621) * sps.sem(d)
    assert checks[0].detectable == pytest.approx(sdd)
    assert f"smallest detectable drop {sdd:.4f}" in line


def test_detectable_drop_falls_back_to_both_runs_errors_when_nothing_flips():
    row = only_row(compare_rows(pair(run([1, 0, 1, 1, 0, 1]), run([1, 0, 1, 1, 0, 1]))))
    assert row.se == 0.0
    se = math.sqrt(2 * sps.sem([1, 0, 1, 1, 0, 1]) ** 2)
    assert detectable_drop(row) == pytest.approx((sps.t.ppf(0.95, 5) + 0.841621) * se)


def test_gates_on_figures_that_were_not_compared_fail():
    rows = compare_rows(pair(run([1, 1]), run([1, 1])))
    lines = max_drop_failures(
        rows, [parse_max_drop("other=0"), parse_max_drop("d:nope=0"), parse_max_drop("d=0")]
    )
    assert lines == [
        "other=0: not compared (no sample of other is in both runs)",
        "not compared: 'd:nope=0': 'nope' is neither a metric (acc) nor a subset (s, OVERALL) of d",
    ]
    no_overall = compare_rows(pair(run([1, 1]), run([1, 1])), overall=False)
    assert max_drop_failures(no_overall, [parse_max_drop("d=0")]) == [
        "d=0: not compared (no OVERALL row)"
    ]


def test_row_serialises_to_plain_data():
    row = only_row(compare_rows(pair(run([1, 0, 1]), run([1, 1, 1]))))
    assert ComparisonRow(**row.to_dict()) == row


# -- simulations -----------------------------------------------------------------------------


def simulate_runs(rng, difficulty, drop=None):
    """Two runs answering the same samples independently, each sample with its own chance of
    success (so the runs are paired through the samples); ``drop`` lowers it in the new run."""
    p_new = difficulty if drop is None else np.clip(difficulty - drop, 0, 1)
    return rng.random(len(difficulty)) < difficulty, rng.random(len(difficulty)) < p_new


def false_alarms(rng, simulations, make_records, gate):
    """How many of ``simulations`` seeded pairs of runs the gate flags (one subset, so the
    OVERALL row, identical to it, is left out to keep the loop fast)."""
    flagged = 0
    for _ in range(simulations):
        base, new = make_records(rng)
        flagged += bool(max_drop_failures(compare_rows(pair(base, new), overall=False), [gate]))
    return flagged


def fast_records(ids, values, repeats=None):
    """Minimal records, built without the helper's keyword handling (the loop runs 2,000×)."""
    repeats = repeats or [0] * len(ids)
    return [
        {"dataset": "d", "subset": "s", "sample_id": i, "repeat": r, "scored": True,
         "metrics": {"acc": v}}
        for i, r, v in zip(ids, repeats, values)
    ]  # fmt: skip


def binomial_ceiling(simulations, rate=0.05):
    """The count a gate at the nominal rate exceeds with probability 0.001."""
    return sps.binom.ppf(0.999, simulations, rate)


def test_false_alarm_rate_of_runs_differing_only_by_chance():
    """2,000 seeded pairs of runs of 300 0/1 samples with the same true chances: the gate with
    MARGIN=0 (any significant drop) flags at most the nominal 5%, within binomial bounds."""
    rng = np.random.default_rng(24)
    difficulty = rng.beta(1.5, 1.0, 300)
    ids = [str(i) for i in range(300)]

    def make(rng):
        a, b = (x.astype(float).tolist() for x in simulate_runs(rng, difficulty))
        return fast_records(ids, a), fast_records(ids, b)

    simulations = 2000
    flagged = false_alarms(rng, simulations, make, parse_max_drop("d:s=0"))
    assert flagged <= binomial_ceiling(simulations)
    assert flagged >= sps.binom.ppf(0.001, simulations, 0.02)  # the gate is alive: near 5%


def test_false_alarm_rate_with_clusters_needs_the_clustered_se():
    """Five repeats per problem that succeed together: the clustered gate stays at the nominal
    rate, a gate that takes the 300 answers as independent would flag far more often."""
    rng = np.random.default_rng(25)
    difficulty = rng.beta(0.5, 0.5, 60)
    simulations = 600

    ids = [str(j) for j in range(60) for _ in range(5)]
    repeats = [r for _ in range(60) for r in range(5)]

    def make(rng):
        a, b = simulate_runs(rng, difficulty)
        return (
            fast_records(ids, np.repeat(a, 5).astype(float).tolist(), repeats),
            fast_records(ids, np.repeat(b, 5).astype(float).tolist(), repeats),
        )

    flagged = false_alarms(rng, simulations, make, parse_max_drop("d:s=0"))
    assert flagged <= binomial_ceiling(simulations)

    naive = 0
    for _ in range(simulations):
        a, b = simulate_runs(rng, difficulty)
        d = np.repeat(b.astype(float) - a.astype(float), 5)
        naive += d.mean() + sps.t.ppf(0.95, 299) * sps.sem(d) < 0
    assert naive > binomial_ceiling(simulations)


def test_an_injected_drop_is_flagged_on_its_subset_only():
    rng = np.random.default_rng(26)
    base, new = [], []
    for subset in ("easy", "hard", "broken", "fine"):
        difficulty = rng.beta(2.0, 1.0, 300)
        a, b = simulate_runs(rng, difficulty, drop=0.15 if subset == "broken" else None)
        base += [record(f"{subset}{i}", float(v), subset=subset) for i, v in enumerate(a)]
        new += [record(f"{subset}{i}", float(v), subset=subset) for i, v in enumerate(b)]
    rows = compare_rows(pair(base, new))
    gates = [parse_max_drop(f"d:{s}=0.05") for s in ("easy", "hard", "broken", "fine")]
    failures = max_drop_failures(rows, gates)
    assert len(failures) == 1 and failures[0].startswith("d acc broken: ")
    broken = only_row(rows, "broken")
    assert broken.p_value < 0.001 and broken.worse > broken.better
