"""A warm-cache replay of the full BFCL v3 (4,441 samples): what a rerun costs when every call
is answered from the response cache. Prints numbers; asserts nothing.

    python bench/replay.py [--mode fc|prompt] [-n N] [--repeats 3] [--profile FILE] [--before DIR]

One cold run against the oracle server (bench/oracle_server.py) fills a cache in a temp dir;
then the warm runs, timed (the fastest kept): wall of the whole pytest run, per-sample ms, and
the cache hits counted from samples.jsonl. `--profile FILE` writes a cProfile of one more
warm run (read it with `python -m pstats FILE`). `--before DIR` alternates each warm run with
one of the checkout in DIR on the same cache: this machine's speed drifts by 10-20% within
minutes, so only interleaved runs compare two versions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from common import PYTHON, TREE, measure, scripted_server, table


def command(
    url: str, mode: str, workers: int, cache: Path, output: Path, code: Path = TREE
) -> list[str]:
    return [
        PYTHON, "-m", "pytest", str(code / "benchmarks" / "test_bfcl_v3.py"), "-q",
        "-p", "no:cacheprovider",
        "-p", "no:html", "--llm-model=oracle", "--llm-sample-header", f"--llm-base-url={url}",
        f"--llm-bfcl-mode={mode}", f"--llm-cache={cache}", f"--llm-output={output}",
        "--llm-concurrency=64", "-n", str(workers),
    ]  # fmt: skip


def records(output: Path) -> list[dict]:
    (run_dir,) = output.iterdir()
    with (run_dir / "samples.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["fc", "prompt"], default="fc")
    parser.add_argument("-n", type=int, default=0, help="xdist workers")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="cProfile one more warm run to this file")
    parser.add_argument("--before", type=Path, help="another checkout, its warm runs interleaved")
    args = parser.parse_args()
    codes = [("before", args.before.resolve())] if args.before else []
    codes.append(("this", TREE))
    scratch = Path(tempfile.mkdtemp(prefix="bfcl-replay-"))
    cache = scratch / "responses.sqlite3"
    print(f"timing the code of {TREE}")
    try:
        with scripted_server("--mode", args.mode, module="bench.oracle_server") as url:
            cold_output = scratch / "cold"
            cold = measure(command(url, args.mode, args.n, cache, cold_output))
            if cold.returncode not in (0, 1):
                raise SystemExit(f"cold run failed ({cold.returncode}):\n{cold.stdout[-3000:]}")
            rows, best = [], {}
            for index in range(args.repeats):
                for label, code in codes:
                    output = scratch / f"warm-{label}-{index}"
                    warm = measure(command(url, args.mode, args.n, cache, output, code), tree=code)
                    done = records(output)
                    hits = sum(bool(r["cached"]) for r in done)
                    rows.append(
                        [label, index + 1, f"{warm.wall_s:.2f}", len(done), hits, warm.returncode]
                    )
                    if label not in best or warm.wall_s < best[label][0].wall_s:
                        best[label] = warm, len(done)
            if args.profile is not None:
                profiled = [PYTHON, "-m", "cProfile", "-o", str(args.profile.resolve())]
                measure(profiled + command(url, args.mode, args.n, cache, scratch / "prof")[1:])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nBFCL v3 {args.mode}, -n {args.n}: cold run {cold.wall_s:.2f}s")
    print(table(["code", "warm run", "wall s", "records", "cached", "exit"], rows))
    for label, (run, n) in best.items():
        print(f"best warm run ({label}): {run.wall_s:.2f}s = {run.wall_s / n * 1000:.2f} ms "
              f"per sample, peak RSS {run.peak_rss_mb:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
