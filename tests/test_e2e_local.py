"""End to end on a real model: llama-server with Qwen2.5-Coder-0.5B, started by `--llm-serve`.

These assert that the pipeline ran (every subset in the table, every sample scored or recorded
as an error with its reason, valid report files), never the model's accuracy. They need
`python -m pytest_llmeval.local.setup` (which `.ci/run` runs) and skip with one line otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_llmeval.local.presets import DEFAULT_PRESET, NotSetUpError
from pytest_llmeval.local.server import resolve_binary, resolve_model

ROOT = Path(__file__).parents[1]
DATA = ROOT / "tests" / "data"


def _not_set_up() -> str | None:
    try:
        resolve_binary()
        resolve_model(DEFAULT_PRESET)
    except NotSetUpError as error:
        return str(error)
    return None


pytestmark = [
    pytest.mark.skipif(_not_set_up() is not None, reason=f"local model: {_not_set_up()}"),
    pytest.mark.skipif(
        __import__("importlib").util.find_spec("bfcl_eval") is None,
        reason="bfcl_eval 2025.8.6.2 is not installed",
    ),
]

BFCL_SINGLE_TURN = [
    "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple", "simple",
    "multiple", "parallel", "parallel_multiple", "java", "javascript", "irrelevance",
    "live_relevance", "live_irrelevance",
]  # fmt: skip
CHINESE_SUBSETS = [
    "Chinese Culture", "Humanities & Social", "Engineering & Tech", "Life, Arts & Culture",
    "Society", "Nature & Science",
]  # fmt: skip


OUR_DATA = ("gpqa_diamond", "mmlu_pro", "mmlu_redux", "ifeval")  # tests/data/<name>
MODULES = [
    f"benchmarks/test_{name}.py"
    for name in ("bfcl_v3", "aime25", "simple_qa", "chinese_simpleqa", *OUR_DATA)
]  # the other benchmarks run on the local model in their own tests' data (README)


@pytest.fixture(scope="module")
def main_job(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The README's main job, bounded: every benchmark on the local model, one table."""
    output = tmp_path_factory.mktemp("e2e")
    command = [
        sys.executable, "-m", "pytest", *MODULES, "-p", "no:cacheprovider",
        f"--llm-serve={DEFAULT_PRESET}", "--llm-serve-judge",
        "--llm-limit=1", "--llm-max-tokens=200", "--llm-temperature=0", "--llm-timeout=300",
        f"--llm-data=aime25={DATA / 'aime25'}",
        f"--llm-data=simple_qa={DATA / 'simple_qa' / 'simple_qa.jsonl'}",
        f"--llm-data=chinese_simpleqa={DATA / 'chinese_simpleqa' / 'chinese_simpleqa.jsonl'}",
        *(f"--llm-data={name}={DATA / name}" for name in OUR_DATA),
        f"--llm-output={output}", f"--llm-cache={output / 'cache.sqlite3'}",
        "-k", "not (miss_func or miss_param or long_context)",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3000)
    (run_dir,) = [p for p in output.iterdir() if p.is_dir()]
    return {
        "done": done,
        "run_dir": run_dir,
        "report": json.loads((run_dir / "report.json").read_text()),
        "records": [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()],
    }


def subsets_of(report: dict, dataset: str, metric: str) -> list[str]:
    rows = report["rows"]
    return [r["subset"] for r in rows if r["dataset"] == dataset and r["metric"] == metric]


def test_the_run_ends_with_a_verdict_not_a_crash(main_job):
    done = main_job["done"]
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout
    assert "pytest-llmeval: qwen2.5-coder-0.5b" in done.stdout


def test_every_subset_of_every_benchmark_is_in_the_table(main_job):
    report = main_job["report"]
    expected_bfcl = [*BFCL_SINGLE_TURN[:10], "multi_turn_base", *BFCL_SINGLE_TURN[10:], "OVERALL"]
    assert subsets_of(report, "bfcl_v3", "AverageAccuracy") == expected_bfcl
    assert subsets_of(report, "aime25", "AveragePass@1") == ["AIME2025-I", "AIME2025-II", "OVERALL"]
    assert subsets_of(report, "simple_qa", "is_correct") == ["default", "OVERALL"]
    assert subsets_of(report, "chinese_simpleqa", "is_correct") == [*CHINESE_SUBSETS, "OVERALL"]
    assert subsets_of(report, "gpqa_diamond", "AverageAccuracy") == ["default", "OVERALL"]
    assert subsets_of(report, "mmlu_pro", "AverageAccuracy") == [
        "computer science", "math", "physics", "OVERALL",
    ]  # fmt: skip
    assert subsets_of(report, "mmlu_redux", "AverageAccuracy") == [
        "abstract_algebra", "high_school_geography", "philosophy", "virology", "OVERALL",
    ]  # fmt: skip
    assert subsets_of(report, "ifeval", "prompt_level_strict_acc") == ["default", "OVERALL"]


def test_every_sample_is_scored_or_an_error_with_its_reason(main_job):
    records = main_job["records"]
    assert len(records) == 14 + 2 + 1 + 6 + 1 + 3 + 4 + 1
    for record in records:
        assert record["reason"], record["nodeid"]
        assert record["scored"] or record["error"], record["nodeid"]
        if not record["error"]:
            assert record["usage"]["calls"] >= 1 and record["usage"]["completion_tokens"] > 0
    judged = [r for r in records if r["dataset"] in ("simple_qa", "chinese_simpleqa")]
    assert all(r["judge_usage"]["calls"] >= 1 or r["error_kind"] == "service" for r in judged)
    rows = main_job["report"]["rows"]
    for dataset in ("bfcl_v3", "aime25", "simple_qa", "chinese_simpleqa", *OUR_DATA):
        (overall,) = [
            r for r in rows if r["dataset"] == dataset and r["subset"] == "OVERALL"
            and r["metric"] in (
                "AverageAccuracy", "AveragePass@1", "is_correct", "prompt_level_strict_acc"
            )
        ]  # fmt: skip
        count = sum(1 for r in records if r["dataset"] == dataset)
        assert overall["num"] + overall["errors"] == count


def test_the_report_files_are_complete(main_job):
    run_dir = main_job["run_dir"]
    meta = main_job["report"]["meta"]
    assert meta["model"]["model"] == DEFAULT_PRESET
    assert meta["model"]["base_url"].startswith("http://127.0.0.1:")
    assert set(meta["datasets"]) == {
        "bfcl_v3", "aime25", "simple_qa", "chinese_simpleqa", *OUR_DATA,
    }  # fmt: skip
    csv_lines = (run_dir / "report.csv").read_text().splitlines()
    assert csv_lines[0] == (
        "Model,Dataset,Metric,Subset,Num,Score,Cat.0,Errors,SE,CI low,CI high,CI method,Clusters,df"
    )
    assert len(csv_lines) == len(main_job["report"]["rows"]) + 1
    html = (run_dir / "report.html").read_text()
    assert "pytest-llmeval summary" in html and "multi_turn_base" in html
    log = (run_dir / "llama-server.log").read_text()
    assert "server is listening" in log or "listening" in log
