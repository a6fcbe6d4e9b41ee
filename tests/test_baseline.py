"""A run compared with a baseline run (--llm-baseline), the max-drop gate (--llm-max-drop) and
the standalone comparison (compare_main): real runs through the plugin and the scripted
server, two at a time."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy import stats as sps

from pytest_llmeval.reporting.compare_cli import compare_main
from tests.conftest import AIME_DATA, BENCH_MODULE, aime_handler


def mixed(subset: str, index: int, gold: str) -> str:
    """AIME2025-I: 6 of 15 right; AIME2025-II: 5 of 15."""
    return gold if index < (6 if subset == "AIME2025-I" else 5) else "999"


def dropped(subset: str, index: int, gold: str) -> str:
    """As `mixed`, but AIME2025-I loses its six right answers (the injected regression)."""
    return "999" if subset == "AIME2025-I" else mixed(subset, index, gold)


GATES = (
    "--llm-max-drop=aime25:AIME2025-I=0.05",
    "--llm-max-drop=aime25:AIME2025-II=0.05",
)


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def baseline(serve, llmeval, wide):
    """The main branch's run: 11 of 30 right."""
    server = serve(aime_handler(mixed))
    run = llmeval(server.base_url)
    assert run.ret == 1  # no gate: wrong answers fail, as in plain pytest
    return server, run


def rows_of(report):
    return {(r["metric"], r["subset"]): r for r in report["comparison"]["rows"]}


def test_an_injected_drop_on_one_subset_fails_the_gate_there_only(serve, llmeval, baseline):
    _, base = baseline
    server = serve(aime_handler(dropped))
    run = llmeval(server.base_url, f"--llm-baseline={base.run_dir}", *GATES)
    assert run.ret == 1
    lines = run.result.outlines
    failed = lines[lines.index("gate FAILED:") + 1 :]
    failing = [line for line in failed if line.startswith("  aime25")]
    assert len(failing) == 1
    diffs = np.array([-1.0] * 6 + [0.0] * 9)  # computed here: six flips down of fifteen
    se, t95, t975 = sps.sem(diffs), sps.t.ppf(0.95, 14), sps.t.ppf(0.975, 14)
    assert failing[0] == (
        f"  aime25 AveragePass@1 AIME2025-I: new − baseline -0.4000 (95% CI "
        f"{-0.4 - t975 * se:+.4f} to {-0.4 + t975 * se:+.4f}, upper bound {-0.4 + t95 * se:+.4f})"
        " is a drop beyond the margin 0.05; 6 worse, 0 better of 15 paired; smallest detectable "
        f"drop {(t95 + 0.841621) * se:.4f}"
    )
    passing = [line for line in lines if line.startswith("max-drop aime25:AIME2025-II=0.05: ")]
    assert len(passing) == 1 and "within the margin 0.05" in passing[0]
    assert "smallest detectable drop" in passing[0]  # from both runs' SEs: nothing flipped
    report = run.report()
    rows = rows_of(report)
    first, second = rows["AveragePass@1", "AIME2025-I"], rows["AveragePass@1", "AIME2025-II"]
    assert first["delta"] == pytest.approx(diffs.mean())
    assert first["se"] == pytest.approx(sps.sem(diffs))
    assert first["ci_high"] == pytest.approx(diffs.mean() + sps.t.ppf(0.975, 14) * sps.sem(diffs))
    assert first["p_value"] == pytest.approx(sps.binomtest(0, 6).pvalue)
    assert (first["base"], first["new"], first["worse"], first["better"]) == (0.4, 0.0, 6, 0)
    assert (second["delta"], second["se"], second["worse"], second["better"]) == (0, 0, 0, 0)
    gates = {g["spec"]: g for g in report["comparison"]["max_drops"]}
    assert gates["aime25:AIME2025-I=0.05"]["failed"] is True
    assert gates["aime25:AIME2025-II=0.05"]["failed"] is False
    assert gates["aime25:AIME2025-II=0.05"]["detectable_drop"] > 0
    assert report["meta"]["gate_shortfalls"] == [failing[0].strip()]
    assert report["meta"]["baseline"] == str(base.run_dir)
    assert report["comparison"]["warning"] is None  # same data, same settings
    # the terminal's comparison table, a row per subset and OVERALL
    table = [line for line in lines if line.startswith("| aime25")]
    assert [line.split("|")[3].strip() for line in table] == [
        "AIME2025-I",
        "AIME2025-II",
        "OVERALL",
    ]
    assert "-0.4000" in table[0] and "6 |" in table[0]


def test_a_run_identical_to_the_baseline_passes_despite_its_wrong_answers(llmeval, baseline):
    server, base = baseline
    run = llmeval(
        server.base_url, f"--llm-baseline={base.run_dir / 'report.json'}", *GATES,
        "--llm-max-drop=aime25=0",
    )  # fmt: skip
    assert run.ret == 0
    run.result.assert_outcomes(passed=11, failed=19)
    assert "gate passed (3 max-drops)" in run.text
    rows = rows_of(run.report())
    assert {(r["delta"], r["worse"], r["better"], r["p_value"]) for r in rows.values()} == {
        (0, 0, 0, 1.0)
    }
    assert run.report()["comparison"]["unpaired"]["only_base"]["count"] == 0


def test_with_a_threshold_as_well_either_gate_fails_the_run(llmeval, baseline):
    server, base = baseline
    run = llmeval(
        server.base_url, f"--llm-baseline={base.run_dir}", *GATES, "--llm-threshold=aime25=0.5"
    )
    assert run.ret == 1
    assert run.report()["meta"]["gate_shortfalls"] == [
        "aime25 AveragePass@1 OVERALL: 0.3667 < threshold 0.5"
    ]


def test_no_sample_in_common_is_a_usage_error(serve, llmeval, wide):
    server = serve(aime_handler(mixed))
    first = llmeval(server.base_url, "-k", "AIME2025-II")
    run = llmeval(server.base_url, "-k", "not AIME2025-II", f"--llm-baseline={first.run_dir}")
    assert run.ret == 4
    problems = [line for line in run.result.outlines if line.startswith("pytest-llmeval: --llm")]
    assert problems == [
        f"pytest-llmeval: --llm-baseline {first.run_dir}: no sample is in both runs "
        "(baseline: 15 samples of aime25; new run: 15 samples of aime25)"
    ]


def test_a_sample_only_in_the_baseline_is_counted_and_named(llmeval, baseline):
    server, base = baseline
    skipped = f"{BENCH_MODULE}.py::test_aime25[AIME2025-II-14]"
    run = llmeval(server.base_url, f"--llm-baseline={base.run_dir}", f"--deselect={skipped}")
    assert "1 samples only in the baseline: aime25/AIME2025-II-14/r0" in run.result.outlines
    comparison = run.report()["comparison"]
    assert comparison["unpaired"]["only_base"] == {
        "count": 1,
        "samples": ["aime25/AIME2025-II-14/r0"],
    }
    rows = rows_of(run.report())
    assert rows["AveragePass@1", "AIME2025-II"]["only_base"] == 1
    assert rows["AveragePass@1", "AIME2025-II"]["n"] == 14
    assert rows["AveragePass@1", "OVERALL"]["n"] == 29


def test_a_baseline_on_other_data_or_settings_is_one_warning_line(
    serve, llmeval, pytester, baseline
):
    server, base = baseline
    copy = pytester.path / "copy"
    shutil.copytree(AIME_DATA, copy)
    first = copy / "AIME2025-I.jsonl"
    first.write_text(first.read_text().replace('"answer": "24"', '"answer": "25"'))
    run = llmeval(
        server.base_url, f"--llm-data=aime25={copy}", f"--llm-baseline={base.run_dir}",
        "--llm-temperature=0.2",
    )  # fmt: skip
    warnings = [line for line in run.result.outlines if line.startswith("warning: baseline")]
    old = base.report()["meta"]["datasets"]["aime25"]["content_hash"]
    new = run.report()["meta"]["datasets"]["aime25"]["content_hash"]
    assert old != new
    assert warnings == [
        f"warning: baseline {base.run_dir} differs from this run: aime25 data (content hash "
        f"{old} vs {new}); generation (temperature - → 0.2)"
    ]
    assert run.report()["comparison"]["warning"] == warnings[0].removeprefix("warning: ")


def test_repeats_pair_by_repeat_and_cluster_by_problem(serve, llmeval, wide):
    server = serve(aime_handler(mixed))
    base = llmeval(server.base_url, "--llm-repeats=2", "-k", "AIME2025-I and not AIME2025-II")
    drop = serve(aime_handler(dropped))
    run = llmeval(
        drop.base_url, "--llm-repeats=2", "-k", "AIME2025-I and not AIME2025-II",
        f"--llm-baseline={base.run_dir}", "--llm-max-drop=aime25:pass@2:AIME2025-I=0",
    )  # fmt: skip
    assert run.ret == 1
    rows = rows_of(run.report())
    mean = rows["AveragePass@1", "AIME2025-I"]
    assert (mean["n"], mean["clusters"]) == (30, 15)  # 15 problems × 2 repeats
    diffs = np.array([-1.0] * 6 + [0.0] * 9)  # per problem: both repeats moved together
    assert mean["se"] == pytest.approx(sps.sem(diffs))  # not sem over the 30 answers
    assert rows["pass@2", "AIME2025-I"]["delta"] == pytest.approx(-0.4)
    assert rows["pass@2", "AIME2025-I"]["test"] == "cluster-t"


def test_a_gated_run_that_records_nothing_fails_its_gates(llmeval, baseline):
    server, base = baseline
    run = llmeval(server.base_url, f"--llm-baseline={base.run_dir}", *GATES, "-k", "nothing")
    assert run.ret == 1
    assert "  aime25:AIME2025-I=0.05: not compared (no sample of this run was recorded)" in (
        run.result.outlines
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--llm-max-drop=aime25=0.05"],
            "--llm-max-drop needs --llm-baseline (the run folder to compare with)",
        ),
        (
            ["--llm-baseline=nowhere", "--llm-max-drop=aime25:AIME2025-III=0.05"],
            "--llm-max-drop 'aime25:AIME2025-III=0.05': 'AIME2025-III' is neither a metric "
            "(AveragePass@1) nor a subset (AIME2025-I, AIME2025-II, OVERALL) of aime25",
        ),
        (
            ["--llm-baseline=nowhere", "--llm-max-drop=aime25=-1"],
            "--llm-max-drop 'aime25=-1': expected DATASET[:METRIC][:SUBSET]=MARGIN with MARGIN "
            "a number >= 0, e.g. bfcl_v3:live_simple=0.05",
        ),
        (
            ["--llm-baseline=nowhere", "--llm-max-drop=bogus=0.1"],
            "--llm-max-drop 'bogus=0.1': unknown benchmark 'bogus'",
        ),
        (["--llm-baseline=nowhere"], "--llm-baseline nowhere: not a run folder or its report.json"),
    ],
)
def test_bad_gates_and_baselines_stop_the_run_before_any_call(serve, llmeval, args, message):
    server = serve(aime_handler(mixed))
    run = llmeval(server.base_url, *args)
    assert run.ret == 4
    assert f"ERROR: {message}" in run.text
    assert server.requests == []


# -- compare_main ---------------------------------------------------------------------------------
def test_compare_main_on_two_run_folders(serve, llmeval, baseline, capsys):
    _, base = baseline
    new = llmeval(serve(aime_handler(dropped)).base_url)
    capsys.readouterr()
    assert compare_main([str(base.run_dir), str(new.run_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [cell.strip() for cell in out[1].split("|")[1:-1]] == [
        "Dataset",
        "Metric",
        "Subset",
        "Pairs",
        "Base",
        "New",
        "Δ",
        "SE",
        "95% CI",
        "p",
        "Worse",
        "Better",
    ]
    table = [line for line in out if line.startswith("| aime25")]
    assert [line.split("|")[3].strip() for line in table] == [
        "AIME2025-I",
        "AIME2025-II",
        "OVERALL",
    ]
    first = [cell.strip() for cell in table[0].split("|")[1:-1]]
    assert first == [
        "aime25",
        "AveragePass@1",
        "AIME2025-I",
        "15",
        "0.4",
        "0",
        "-0.4000",
        "0.1309",
        "-0.681 to -0.119",
        "0.0312*",  # McNemar: 2 · P[Binomial(6, ½) = 0] = 1/32
        "6",
        "0",
    ]
    gate = ["--max-drop", "aime25:AIME2025-I=0.05", "--max-drop", "aime25:AIME2025-II=0.05"]
    assert compare_main([str(base.run_dir), str(new.run_dir / "report.json"), *gate]) == 1
    out = capsys.readouterr().out.splitlines()
    verdicts = [line.split(": ")[1] for line in out if line.startswith("max-drop ")]
    assert verdicts == ["FAILED", "ok"]
    assert compare_main([str(base.run_dir), str(base.run_dir), *gate]) == 0


def write_run(folder, ids, dataset="d", subset="s"):
    """A run folder as a killed run leaves it: samples.jsonl only."""
    folder.mkdir()
    lines = [
        {"dataset": dataset, "subset": subset, "sample_id": i, "metrics": {"acc": 1.0}} for i in ids
    ]
    (folder / "samples.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return str(folder)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["only-one"], "the following arguments are required: RUN_B"),
        (["missing", "{run}"], "missing: not a run folder or its report.json"),
        (
            ["{run}", "{run}", "--max-drop", "aime25:III=0.1"],
            "--max-drop 'aime25:III=0.1': 'III' is neither a metric (AveragePass@1) nor a "
            "subset (AIME2025-I, AIME2025-II, OVERALL) of aime25",
        ),
        (["{run}", "{run}", "--max-drop", "aime25"], "--max-drop 'aime25': expected"),
        (["{run}", "{other}"], "no sample is in both runs"),
        (["{run}", "{empty}"], "{empty}: no samples.jsonl (the per-sample records to compare)"),
    ],
)
def test_compare_main_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    folders = {
        "run": write_run(tmp_path / "a", ["AIME2025-I-0", "AIME2025-I-1"], "aime25", "AIME2025-I"),
        "other": write_run(tmp_path / "b", ["AIME2025-I-2"], "aime25", "AIME2025-I"),
        "empty": str(tmp_path),
    }
    assert compare_main([arg.format(**folders) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"pytest-llmeval compare: {message.format(**folders)}")


def test_compare_main_on_a_dataset_no_benchmark_knows(tmp_path, capsys):
    base, new = write_run(tmp_path / "a", ["1", "2"]), write_run(tmp_path / "b", ["1", "2"])
    assert compare_main([base, new, "--max-drop", "d=0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"warning: baseline {base} has no report.json: its data hash and settings are not checked"
    )
    assert [line for line in out if line.startswith("| d ")] == [
        line for line in out if "| acc " in line
    ]
    assert len([line for line in out if "| acc " in line]) == 2  # s and OVERALL, plain means
