"""Error bars on the report's rows: every figure's SE and 95% interval against a computation of
its own here (numpy / scipy), clustered where repeats exist; the table's ± and the files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps

from pytest_llmeval.benchmarks.aime25 import Aime25
from pytest_llmeval.benchmarks.base import Benchmark
from pytest_llmeval.benchmarks.bfcl_v3.benchmark import BfclV3
from pytest_llmeval.benchmarks.simple_qa import SimpleQA
from pytest_llmeval.records import Row, SampleRecord
from pytest_llmeval.reporting.rows import build_rows
from pytest_llmeval.reporting.table import format_margin, format_table

Z = sps.norm.ppf(0.975)


def rec(dataset, subset, sample_id, value, repeat=0, metric="AverageAccuracy", **metrics):
    return SampleRecord.from_dict(
        {
            "dataset": dataset,
            "subset": subset,
            "sample_id": sample_id,
            "repeat": repeat,
            "passed": bool(value),
            "metrics": {metric: float(value), **metrics},
        }
    )


def wilson(p, n):
    """Wilson (1927), solved here from its quadratic (p̂ − π)² = z² π (1 − π) / n."""
    a = 1 + Z**2 / n
    b = -(2 * p + Z**2 / n)
    c = p**2
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def row_of(rows, metric, subset):
    (row,) = [r for r in rows if (r.metric, r.subset) == (metric, subset)]
    return row


class Plain(Benchmark):
    name = "plain"
    subsets = ("a", "b")


def test_means_without_repeats_get_the_clt_se_and_scipys_wilson_interval():
    rng = np.random.default_rng(1)
    values = {"a": rng.random(40) < 0.7, "b": rng.random(25) < 0.3}
    records = [rec("plain", s, f"{s}{i}", v) for s, vs in values.items() for i, v in enumerate(vs)]
    rows = build_rows("m", records, {"plain": Plain()})
    both = np.concatenate(list(values.values())).astype(float)
    for subset, data in [*values.items(), ("OVERALL", both)]:
        data = np.asarray(data, dtype=float)
        row = row_of(rows, "AverageAccuracy", subset)
        assert row.se == pytest.approx(sps.sem(data), rel=1e-12)
        ci = sps.binomtest(int(data.sum()), len(data)).proportion_ci(method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-6)
        assert (row.ci_method, row.n_clusters, row.df) == ("wilson", None, len(data) - 1)


def test_wilson_does_not_collapse_at_zero_or_all_and_one_sample_has_no_se():
    records = [rec("plain", "a", f"a{i}", 1) for i in range(12)]
    records += [rec("plain", "b", f"b{i}", 0) for i in range(12)]
    records += [rec("plain", "c", "c0", 1)]
    rows = build_rows("m", records, {"plain": Plain()})
    top, bottom, single = (row_of(rows, "AverageAccuracy", s) for s in "abc")
    assert (top.se, bottom.se) == (0.0, 0.0)
    assert top.ci_high == 1.0 and top.ci_low == pytest.approx(wilson(1.0, 12)[0])
    assert bottom.ci_low == 0.0 and bottom.ci_high == pytest.approx(wilson(0.0, 12)[1])
    assert 0 < top.half_width < 0.2
    assert single.se is None and single.ci_low == pytest.approx(wilson(1.0, 1)[0])


def aime_repeats(rng, problems=15, repeats=4):
    """Problems whose repeats succeed together: a problem's chance is near 0 or 1."""
    chance = rng.beta(0.4, 0.4, (2, problems))
    return [
        rec("aime25", subset, f"{subset}-{j}", rng.random() < chance[s][j], r, "AveragePass@1")
        for s, subset in enumerate(("AIME2025-I", "AIME2025-II"))
        for j in range(problems)
        for r in range(repeats)
    ]


def test_repeats_of_a_problem_are_one_cluster():
    rng = np.random.default_rng(2)
    records = aime_repeats(rng)
    rows = build_rows("m", records, {"aime25": Aime25(repeats=4)})
    for subset in ("AIME2025-I", "AIME2025-II", "OVERALL"):
        mine = [r for r in records if subset in ("OVERALL", r.subset)]
        scores = np.array([float(r.passed) for r in mine])
        per_problem = scores.reshape(-1, 4).mean(axis=1)  # records are in problem order
        row = row_of(rows, "AveragePass@1", subset)
        assert row.score == pytest.approx(per_problem.mean())
        assert row.se == pytest.approx(sps.sem(per_problem), rel=1e-12)
        # data built so that the clustered SE is not the one of independent answers
        assert row.se > 1.3 * sps.sem(scores)
        n_eff = len(scores) * sps.sem(scores) ** 2 / row.se**2
        assert (row.ci_low, row.ci_high) == pytest.approx(wilson(row.score, n_eff), abs=1e-6)
        assert (row.ci_method, row.n_clusters) == ("wilson-clustered", len(per_problem))


@pytest.mark.parametrize("k", [1, 4])
def test_pass_at_k_over_repeats_has_its_se_over_problems(k):
    rng = np.random.default_rng(3)
    records = aime_repeats(rng)
    rows = build_rows("m", records, {"aime25": Aime25(repeats=4)})
    scores = np.array([float(r.passed) for r in records]).reshape(-1, 4)
    correct = scores.sum(axis=1)
    values = 1 - special.comb(4 - correct, k) / special.comb(4, k)
    row = row_of(rows, f"pass@{k}", "OVERALL")
    assert row.score == pytest.approx(values.mean())
    assert row.se == pytest.approx(sps.sem(values), rel=1e-9)
    assert row.n_clusters == 30
    if k == 4:  # every problem 0 or 1: Wilson on the 30 problems
        assert row.ci_method == "wilson-problems"
        assert (row.ci_low, row.ci_high) == pytest.approx(wilson(values.mean(), 30), abs=1e-6)
    else:
        assert row.ci_method == "wilson-repeats"


def test_bfcl_leaderboard_rows_are_weighted_sums_of_their_subsets():
    rng = np.random.default_rng(4)
    sizes = {
        "live_simple": 60,
        "live_multiple": 120,
        "live_parallel": 16,
        "simple": 80,
        "java": 20,
        "multiple": 50,
        "irrelevance": 40,
        "multi_turn_base": 30,
        "multi_turn_miss_func": 30,
    }
    data = {s: (rng.random(n) < rng.uniform(0.3, 0.9)).astype(float) for s, n in sizes.items()}
    records = [rec("bfcl_v3", s, f"{s}_{i}", v) for s, vs in data.items() for i, v in enumerate(vs)]
    rows = build_rows("m", records, {"bfcl_v3": BfclV3()})
    mean = {s: v.mean() for s, v in data.items()}
    var = {s: sps.sem(v) ** 2 for s, v in data.items()}
    live = ["live_simple", "live_multiple", "live_parallel"]
    total = sum(sizes[s] for s in live)
    # the leaderboard's weights, written out: NON_LIVE = mean of (mean(simple, java),
    # multiple, irrelevance); LIVE by count; MULTI_TURN mean; OVERALL mean of the three
    weights = {
        "NON_LIVE": {"simple": 1 / 6, "java": 1 / 6, "multiple": 1 / 3, "irrelevance": 1 / 3},
        "LIVE": {s: sizes[s] / total for s in live},
        "MULTI_TURN": {"multi_turn_base": 0.5, "multi_turn_miss_func": 0.5},
    }
    weights["OVERALL"] = {s: w / 3 for group in weights.values() for s, w in group.items()}
    for group, w in weights.items():
        row = row_of(rows, "LeaderboardAccuracy", group)
        assert row.score == pytest.approx(sum(wk * mean[s] for s, wk in w.items()))
        se = math.sqrt(sum(wk**2 * var[s] for s, wk in w.items()))
        assert row.se == pytest.approx(se, rel=1e-12)
        assert row.ci_method == "weighted" and row.ci_low < row.score < row.ci_high
    # a stratified bootstrap of OVERALL agrees with the formula
    boot = np.random.default_rng(5)
    draws = [
        sum(
            wk * data[s][boot.integers(0, len(data[s]), len(data[s]))].mean()
            for s, wk in weights["OVERALL"].items()
        )
        for _ in range(2000)
    ]
    assert row_of(rows, "LeaderboardAccuracy", "OVERALL").se == pytest.approx(
        np.std(draws, ddof=1), rel=0.08
    )


def simpleqa_records(rng, n=400, errors=0):
    grades = rng.choice(3, n, p=[0.45, 0.35, 0.2])
    names = ("is_correct", "is_incorrect", "is_not_attempted")
    records = [
        SampleRecord.from_dict(
            {
                "dataset": "simple_qa",
                "subset": "default",
                "sample_id": str(i),
                "passed": bool(g == 0),
                "metrics": {name: float(g == k) for k, name in enumerate(names)},
            }
        )
        for i, g in enumerate(grades)
    ]
    records += [  # judge errors scored 0 with --llm-ignore-errors
        SampleRecord.from_dict(
            {
                "dataset": "simple_qa",
                "subset": "default",
                "sample_id": f"e{i}",
                "error": "judge failed",
                "metrics": dict.fromkeys(names, 0.0),
            }
        )
        for i in range(errors)
    ]
    return grades, records


def test_simpleqa_ratios_by_the_delta_method_against_a_bootstrap():
    rng = np.random.default_rng(6)
    grades, records = simpleqa_records(rng, errors=7)
    rows = build_rows("m", records, {"simple_qa": SimpleQA()})
    c, i = (grades == 0).astype(float), (grades == 1).astype(float)
    ratio = row_of(rows, "correct_given_attempted", "OVERALL")
    attempted = c.sum() + i.sum()
    r = c.sum() / attempted
    assert ratio.score == pytest.approx(r)
    n = len(grades)  # the judged samples: errors take no part, as in the figure itself
    assert ratio.se == pytest.approx(math.sqrt(r * (1 - r) / attempted * n / (n - 1)), rel=1e-9)
    assert (ratio.ci_low, ratio.ci_high) == pytest.approx(wilson(r, attempted), abs=1e-6)
    f_score = row_of(rows, "f_score", "OVERALL")
    assert f_score.score == pytest.approx(2 * c.mean() * r / (c.mean() + r))
    boot = np.random.default_rng(7)
    cga, fs = [], []
    for _ in range(3000):
        pick = boot.integers(0, n, n)
        bc, bi = c[pick].mean(), i[pick].mean()
        cga.append(bc / (bc + bi))
        fs.append(2 * bc * cga[-1] / (bc + cga[-1]))
    assert ratio.se == pytest.approx(np.std(cga, ddof=1), rel=0.08)
    assert f_score.se == pytest.approx(np.std(fs, ddof=1), rel=0.08)
    assert (ratio.ci_method, f_score.ci_method) == ("delta-wilson", "delta")
    shares = row_of(rows, "is_correct", "OVERALL")  # errors count 0 in the shares
    assert shares.num == n + 7 and shares.se == pytest.approx(
        sps.sem(np.concatenate([c, np.zeros(7)]))
    )


@pytest.mark.parametrize(
    ("benchmark", "records"),
    [
        (Aime25(repeats=4), aime_repeats(np.random.default_rng(8))),
        (Aime25(), aime_repeats(np.random.default_rng(9), repeats=1)),
        (SimpleQA(), simpleqa_records(np.random.default_rng(10), errors=3)[1]),
    ],
    ids=["aime-repeats", "aime", "simple_qa"],
)
def test_every_estimate_is_of_the_figure_the_row_reports(benchmark, records):
    values, estimates = benchmark.aggregate(records), benchmark.estimates(records)
    assert set(estimates) == set(values)
    for metric, value in values.items():
        assert estimates[metric].value == pytest.approx(value, abs=1e-12), metric


def test_the_table_shows_half_the_interval_beside_each_score():
    rows = [
        Row("m", "d", "acc", "a", 257, 0.8171, "x", 0, 0.024, 0.7654, 0.8596, "wilson"),
        Row("m", "d", "acc", "b", 1, 1.0, "x", 0, None, 0.2065, 1.0, "wilson"),
        Row("m", "d", "acc", "c", 1, 0.5, "x", 0, None, None, None, "t"),
        Row("m", "d", "acc", "e", 0, None, "x", 1),
    ]
    assert [format_margin(r) for r in rows] == ["±0.047", "±0.397", "±-", ""]
    lines = format_table(rows).splitlines()
    assert lines[1].split("|")[6] == "         Score "
    assert [line.split("|")[6] for line in lines[3::2]] == [
        " 0.8171 ±0.047 ",
        " 1      ±0.397 ",
        " 0.5    ±-     ",
        " -             ",
    ]
