"""--llm-shard I/N and `pytest-llmeval merge`: the shards partition the items, and merged they
are the run done in one go, in the table, the files and the viewer; xdist's `--tx` workers give
the same table as one process."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AIME_DATA, AIME_MODULE, aime_handler

ROOT = Path(__file__).resolve().parents[1]
N = 3
COMMON = ("--llm-repeats=2", "--llm-report-only")
TIMING = {"started", "finished", "wall_s", "command", "merged_from"}
"""meta fields that differ between a merged run and the run done in one go: when and how it
ran. Everything else in report.json is compared (each dataset's load_s is timing too)."""


def mixed(subset: str, index: int, gold: str) -> str:
    return gold if (index % 3 == 0) == (subset == "AIME2025-I") else "999"


def natural(text: str) -> list[Any]:
    return [int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", text))]


def keys(run_dir: Path) -> list[tuple[str, int]]:
    lines = (run_dir / "samples.jsonl").read_text().splitlines()
    return sorted((r["sample_id"], r["repeat"]) for r in map(json.loads, lines))


def merge(*args: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest_llmeval", "merge", *map(str, args)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def merged_folder(done: subprocess.CompletedProcess) -> Path:
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.splitlines()[-1].removeprefix("reports in "))


def table_of(stdout: str) -> str:
    lines = stdout.splitlines()
    borders = [i for i, line in enumerate(lines) if line.startswith("+-")]
    return "\n".join(lines[borders[0] : borders[-1] + 1])


def meta_of(folder: Path) -> dict[str, Any]:
    meta = json.loads((folder / "report.json").read_text())["meta"]
    for source in meta["datasets"].values():
        del source["load_s"]
    return {key: value for key, value in meta.items() if key not in TIMING}


def viewer_of(folder: Path) -> tuple[dict[str, Any], str]:
    """The viewer page's index (without where and when it was written) and its records."""
    page = (folder / "viewer.html").read_text()
    index = json.loads(re.search(r'id="llmeval-index">(.*?)</script>', page, re.S)[1])
    details = re.search(r'id="llmeval-records"[^>]*>(.*?)</script>', page, re.S)[1]
    del index["generated"]
    (run,) = index["runs"]
    for key in ("folder", "name", "meta"):  # meta: compared through report.json
        del run[key]
    return index, details


def hashed_shards() -> list[list[tuple[str, int]]]:
    """The (sample id, repeat) of each of N shards of our 30 AIME problems, 2 repeats."""
    expected: list[list[tuple[str, int]]] = [[] for _ in range(N)]
    for part in ("I", "II"):
        for index in range(15):
            for repeat in range(2):
                digest = hashlib.sha256(f"aime25\0AIME2025-{part}-{index}\0{repeat}".encode())
                shard = int.from_bytes(digest.digest()[:8], "big") % N
                expected[shard].append((f"AIME2025-{part}-{index}", repeat))
    return expected


def test_a_shard_keeps_the_items_its_hash_names(serve, llmeval):
    """Shard I keeps (dataset, id, repeat) whose sha256 is I mod N, computed here: the same on
    every machine; shards 0..N-1 are disjoint and cover the run, and the rest is deselected."""
    server = serve(aime_handler(mixed))
    runs = [llmeval(server.base_url, *COMMON, f"--llm-shard={i}/{N}") for i in range(N)]
    expected = hashed_shards()
    assert [keys(run.run_dir) for run in runs] == [sorted(e) for e in expected]
    assert all(len(e) for e in expected) and sum(map(len, expected)) == 60
    for run, kept in zip(runs, expected):
        wrong = _wrong(kept)
        run.result.assert_outcomes(
            passed=len(kept) - wrong, failed=wrong, deselected=60 - len(kept)
        )
        meta = run.report()["meta"]
        assert meta["shard"] == {"index": runs.index(run), "count": N}
        assert meta["partial"] == {}  # a whole shard is no partial run of the full set
    assert len(server.requests) == 60  # each item asked once, by its own shard
    again = llmeval(server.base_url, *COMMON, f"--llm-shard=1/{N}")
    assert keys(again.run_dir) == sorted(expected[1])


def _wrong(kept: list[tuple[str, int]]) -> int:
    """How many of these items the `mixed` model answers wrong."""
    wrong = 0
    for sample_id, _ in kept:
        subset, index = sample_id.rsplit("-", 1)
        wrong += (int(index) % 3 == 0) != (subset == "AIME2025-I")
    return wrong


def test_merged_shards_equal_the_run_done_in_one_go(serve, llmeval, tmp_path):
    server = serve(aime_handler(mixed))
    live = [llmeval(server.base_url, *COMMON, f"--llm-shard={i}/{N}") for i in range(N)]
    assert len(server.requests) == 60
    whole = llmeval(server.base_url, *COMMON)  # every reply from the shards' cache
    replayed = [llmeval(server.base_url, *COMMON, f"--llm-shard={i}/{N}") for i in range(N)]
    assert len(server.requests) == 60
    live_done = merge(*(run.run_dir for run in live), "--output", tmp_path / "live")
    done = merge(*(run.run_dir for run in reversed(replayed)), "--output", tmp_path / "replay")
    folder = merged_folder(done)
    assert table_of(done.stdout) == whole.table() == table_of(live_done.stdout)
    rows = json.loads((folder / "report.json").read_text())["rows"]
    assert rows == whole.report()["rows"]
    assert [(r["subset"], r["num"], round(r["score"], 4)) for r in rows[:3]] == [
        ("AIME2025-I", 30, 0.3333), ("AIME2025-II", 30, 0.6667), ("OVERALL", 60, 0.5)
    ]  # fmt: skip
    assert (folder / "report.csv").read_bytes() == (whole.run_dir / "report.csv").read_bytes()
    assert meta_of(folder) == meta_of(whole.run_dir)
    assert meta_of(folder)["partial"] == {} and meta_of(folder)["shard"] is None
    # samples.jsonl: the same records, in the table's order (subset, natural id, repeat)
    order = {"AIME2025-I": 0, "AIME2025-II": 1}
    expected = sorted(
        whole.samples(),
        key=lambda r: (order[r["subset"]], natural(r["sample_id"]), r["repeat"]),
    )
    assert [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()] == (
        expected
    )
    assert viewer_of(folder) == viewer_of(whole.run_dir)
    # the live shards' merge: the same records but for what the calls took (they were not
    # replayed from the cache)
    varying = ("latency_s", "cached")
    live_folder = merged_folder(live_done)
    lines = (live_folder / "samples.jsonl").read_text().splitlines()
    assert [{k: v for k, v in json.loads(line).items() if k not in varying} for line in lines] == [
        {k: v for k, v in record.items() if k not in varying} for record in expected
    ]
    assert json.loads((live_folder / "report.json").read_text())["rows"] == rows


def test_a_shard_left_without_items_exits_0_and_merges(serve, llmeval, tmp_path):
    """Two items in five shards: at least three shards are empty, which is their share."""
    server = serve(aime_handler(mixed))
    only = ("--llm-limit=1", "--llm-report-only")
    runs = [llmeval(server.base_url, *only, f"--llm-shard={i}/5") for i in range(5)]
    sizes = [len(keys(run.run_dir)) for run in runs]
    assert sorted(sizes) == [0, 0, 0, 1, 1] and [run.ret for run in runs] == [0] * 5
    done = merge(*(run.run_dir for run in runs), "--output", tmp_path)
    assert table_of(done.stdout) == llmeval(server.base_url, *only).table()
    assert keys(merged_folder(done)) == [("AIME2025-I-0", 0), ("AIME2025-II-0", 0)]


@pytest.fixture
def shard_runs(serve, llmeval, tmp_path):
    """Run with these extra arguments (a shard spec among them) against one oracle server."""
    server = serve(aime_handler(mixed))

    def run(*args: str) -> Path:
        return llmeval(server.base_url, "--llm-limit=2", *COMMON, *args).run_dir

    return run


def test_shards_that_do_not_belong_together_are_refused_in_one_line(shard_runs, tmp_path):
    data = tmp_path / "other-data"
    shutil.copytree(AIME_DATA, data)
    path = data / "AIME2025-I.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["question"] += " Give the answer only."
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    s0, s1, s2 = (shard_runs(f"--llm-shard={i}/3") for i in range(3))
    cases = {
        "shards of different N": [s0, s1, shard_runs("--llm-shard=1/2")],
        "differs from .* in generation settings: {'temperature': 0.7} vs {}": [
            s0, s1, shard_runs("--llm-shard=2/3", "--llm-temperature=0.7")
        ],
        "differs from .* in its aime25 data \\(content hash": [
            s0, s1, shard_runs("--llm-shard=2/3", f"--llm-data=aime25={data}")
        ],
        "shard 1/3 twice": [s0, s1, s1, s2],
        "shards missing: 1/3, 2/3": [s0],
        "not a shard's run": [s0, s1, shard_runs()],
    }  # fmt: skip
    output = tmp_path / "merged"
    for message, folders in cases.items():
        done = merge(*folders, "--output", output)
        assert (done.returncode, done.stdout) == (2, ""), message
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert re.match(f"pytest-llmeval merge: .*{message}", done.stderr), done.stderr
    assert not output.exists()
    assert merged_folder(merge(s2, s0, s1, "--output", output)).parent == output


@pytest.mark.parametrize("spec", ["3/3", "-1/3", "1", "a/b", "0/0"])
def test_a_badly_spelled_shard_is_a_usage_error(llmeval, spec):
    run = llmeval("http://127.0.0.1:9/v1", f"--llm-shard={spec}")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        f"--llm-shard: expected I/N with 0 <= I < N (e.g. 0/4 for the first of 4), got {spec!r}"
        in (run.text)
    )
    assert not run.output.exists()


def test_xdist_tx_popen_workers_give_the_table_of_one_process(serve, llmeval):
    """`--tx 2*popen` starts the same execnet workers as `--tx ssh=host` does, here locally."""
    server = serve(aime_handler(mixed))
    single = llmeval(server.base_url, *COMMON, "--llm-no-cache", "-n", "0")
    spread = llmeval(
        server.base_url, *COMMON, "--llm-no-cache", "--tx", "2*popen", "--dist", "load",
        subprocess=True,
    )  # fmt: skip
    assert (single.ret, spread.ret) == (0, 0)
    assert "2 workers [60 items]" in spread.text
    assert spread.table() == single.table()
    assert spread.report()["rows"] == single.report()["rows"]
    assert len(server.requests) == 120
    assert sorted((r["nodeid"], r["passed"]) for r in spread.samples()) == sorted(
        (r["nodeid"], r["passed"]) for r in single.samples()
    )
    # a shard spread over workers (a Slurm task with -n): the same slice, each item once
    sharded = llmeval(
        server.base_url, *COMMON, "--llm-no-cache", "--llm-shard=1/3", "--tx", "2*popen",
        "--dist", "load", subprocess=True,
    )  # fmt: skip
    assert f"2 workers [{len(hashed_shards()[1])} items]" in sharded.text
    assert sharded.ret == 0 and len(server.requests) == 120 + len(hashed_shards()[1])
    assert keys(sharded.run_dir) == sorted(hashed_shards()[1])
    assert sharded.report()["meta"]["shard"] == {"index": 1, "count": 3}


def test_the_readme_slurm_array_runs_and_merges_into_the_whole_run(serve, llmeval, tmp_path):
    """The README's sbatch script, its tasks 0..2 run as Slurm would (the array variables set,
    in the submit folder), then the README's merge command: the table of the run done in one
    go. Arguments after the script override its model, URL and repeats (pytest: last wins)."""
    script = (ROOT / "examples" / "slurm" / "eval.sbatch").read_text()
    readme = (ROOT / "README.md").read_text()
    assert script in readme
    merge_command = re.search(r'--wrap "(.*?)"', readme)[1].replace("$job", "4242")
    submit = tmp_path / "checkout"
    (submit / "benchmarks").mkdir(parents=True)
    (submit / "benchmarks" / "test_aime25.py").write_text(AIME_MODULE)
    (submit / ".venv").symlink_to(Path(sys.executable).parents[1])
    server = serve(aime_handler(mixed))
    args = ["--llm-model=scripted", f"--llm-base-url={server.base_url}",
            f"--llm-data=aime25={AIME_DATA}", "--llm-repeats=2"]  # fmt: skip
    for task in range(3):
        env = {**os.environ, "SLURM_SUBMIT_DIR": str(submit), "SLURM_ARRAY_JOB_ID": "4242",
               "SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_COUNT": "3"}  # fmt: skip
        done = subprocess.run(["bash", "-c", script, "eval.sbatch", *args], env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
        assert "deselected" in done.stdout
    assert len(server.requests) == 60
    merged = subprocess.run(["bash", "-c", merge_command], cwd=submit,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    folder = submit / merged_folder(merged)  # printed as the command named it: relative
    assert folder.parent == submit / "runs" / "4242" / "merged"
    whole = llmeval(
        server.base_url, "--llm-repeats=2", "--llm-temperature=0.6", "--llm-seed=0",
        "--llm-report-only",
    )  # fmt: skip
    assert table_of(merged.stdout) == whole.table()
    assert meta_of(folder)["partial"] == {}
    assert json.loads((folder / "report.json").read_text())["rows"] == whole.report()["rows"]


@pytest.mark.parametrize(
    "thresholds",
    [("aime25=0.5",), ("aime25=0.5", "aime25:AIME2025-I=0.4")],
    ids=["passes", "fails"],
)
def test_the_merge_applies_the_thresholds_to_the_merged_rows(serve, llmeval, tmp_path, thresholds):
    """The gate of the merged run is the unsharded run's (0.5 overall, AIME2025-I at 1/3), not
    any shard's verdict on its own slice."""
    server = serve(aime_handler(mixed))
    gates = [f"--llm-threshold={t}" for t in thresholds]
    shards = [llmeval(server.base_url, "--llm-repeats=2", *gates, f"--llm-shard={i}/{N}")
              for i in range(N)]  # fmt: skip
    whole = llmeval(server.base_url, "--llm-repeats=2", *gates)
    done = merge(*(run.run_dir for run in shards), "--output", tmp_path)
    expected = whole.report()["meta"]
    assert done.returncode == whole.ret == (1 if len(thresholds) == 2 else 0), done.stderr
    folder = Path(done.stdout.splitlines()[-1].removeprefix("reports in "))
    meta = json.loads((folder / "report.json").read_text())["meta"]
    assert meta["gate_shortfalls"] == expected["gate_shortfalls"]
    assert meta["exit_status"] == expected["exit_status"] == whole.ret
    if len(thresholds) == 2:
        assert expected["gate_shortfalls"] == [
            "aime25 AveragePass@1 AIME2025-I: 0.3333 < threshold 0.4"
        ]
        assert "gate FAILED:" in done.stdout
    else:
        assert expected["gate_shortfalls"] == [] and "gate passed" in done.stdout
