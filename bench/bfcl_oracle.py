"""The full BFCL v3 oracle: all 4,441 samples answered with their ground truth through the real
HTTP loop, in FC and prompt mode. Prints per-subset scores next to what the official checker
gives the same answers, the wall time and the peak memory of the pytest process tree.

    python bench/bfcl_oracle.py [--mode fc|prompt|both] [-n N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import PYTHON, measure, scripted_server, table

# Ground-truth answers that fail the official checker too (data quirks; tests/bfcl pins each id).
EXPECTED_FAILURES = {
    "fc": {"simple": 1, "parallel": 1, "parallel_multiple": 2, "live_simple": 2,
           "live_multiple": 3, "live_parallel": 1, "java": 10, "javascript": 1,
           "multi_turn_base": 1},
    "prompt": {"simple": 1, "parallel": 1, "parallel_multiple": 2, "live_simple": 2,
               "live_multiple": 3, "live_parallel": 1, "java": 13, "javascript": 1,
               "multi_turn_base": 1},
}  # fmt: skip


def run(mode: str, workers: int) -> None:
    output = Path(tempfile.mkdtemp(prefix="bfcl-oracle-"))
    with scripted_server("--mode", mode, module="bench.oracle_server") as url:
        command = [PYTHON, "-m", "pytest", "benchmarks/test_bfcl_v3.py", "-q"]
        command += ["-p", "no:cacheprovider", "--llm-model=oracle", "--llm-sample-header"]
        command += [f"--llm-base-url={url}", f"--llm-bfcl-mode={mode}", "--llm-no-cache"]
        command += [f"--llm-output={output}", "--llm-concurrency=64", "-n", str(workers)]
        result = measure(command)
    (run_dir,) = output.iterdir()
    rows = json.loads((run_dir / "report.json").read_text())["rows"]
    lines = []
    for row in rows:
        if row["metric"] != "AverageAccuracy" or row["subset"] == "OVERALL":
            continue
        failed = row["num"] - round(row["score"] * row["num"])
        expected = EXPECTED_FAILURES[mode].get(row["subset"], 0)
        verdict = "ok" if failed == expected else "DIFF"
        ours, official = (
            f"{row['num'] - failed}/{row['num']}",
            f"{row['num'] - expected}/{row['num']}",
        )
        lines.append([row["subset"], row["num"], ours, official, verdict, row["errors"]])
    overall = {(r["metric"], r["subset"]): r["score"] for r in rows}
    print(
        f"\nmode {mode}, -n {workers}: wall {result.wall_s:.1f}s, "
        f"peak RSS {result.peak_rss_mb:.0f} MB, exit {result.returncode}"
    )
    print(table(["subset", "num", "ours", "official", "", "errors"], lines))
    print(
        f"AverageAccuracy OVERALL {overall[('AverageAccuracy', 'OVERALL')]:.4f}; "
        f"LeaderboardAccuracy OVERALL {overall[('LeaderboardAccuracy', 'OVERALL')]:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["fc", "prompt", "both"], default="both")
    parser.add_argument("-n", type=int, default=0, help="xdist workers")
    args = parser.parse_args()
    for mode in ("fc", "prompt") if args.mode == "both" else (args.mode,):
        run(mode, args.n)


if __name__ == "__main__":
    main()
