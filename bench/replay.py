"""A warm-cache replay of the full BFCL v3 (4,441 samples): what a rerun costs when every call
is answered from the response cache. Prints numbers; asserts nothing.

    python bench/replay.py [--mode fc|prompt] [-n N] [--repeats 3] [--profile FILE]

One cold run against the oracle server (bench/oracle_server.py) fills a cache in a temp dir;
then the warm runs, timed (the fastest kept): wall of the whole pytest run, per-sample ms, and
the cache hits counted from samples.jsonl. `--profile FILE` writes a cProfile of one more
warm run (read it with `python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from common import PYTHON, TREE, measure, scripted_server, table


def command(url: str, mode: str, workers: int, cache: Path, output: Path) -> list[str]:
    return [
        PYTHON, "-m", "pytest", "benchmarks/test_bfcl_v3.py", "-q", "-p", "no:cacheprovider",
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
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bfcl-replay-"))
    cache = scratch / "responses.sqlite3"
    print(f"timing the code of {TREE}")
    try:
        with scripted_server("--mode", args.mode, module="bench.oracle_server") as url:
            cold_output = scratch / "cold"
            cold = measure(command(url, args.mode, args.n, cache, cold_output))
            if cold.returncode not in (0, 1):
                raise SystemExit(f"cold run failed ({cold.returncode}):\n{cold.stdout[-3000:]}")
            rows, best = [], None
            for index in range(args.repeats):
                output = scratch / f"warm-{index}"
                warm = measure(command(url, args.mode, args.n, cache, output))
                done = records(output)
                hits = sum(bool(r["cached"]) for r in done)
                rows.append([index + 1, f"{warm.wall_s:.2f}", len(done), hits, warm.returncode])
                if best is None or warm.wall_s < best.wall_s:
                    best, best_count = warm, len(done)
            if args.profile is not None:
                profiled = [PYTHON, "-m", "cProfile", "-o", str(args.profile.resolve())]
                measure(profiled + command(url, args.mode, args.n, cache, scratch / "prof")[1:])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    n = best_count
    print(f"\nBFCL v3 {args.mode}, -n {args.n}: cold run {cold.wall_s:.2f}s, {n} samples")
    print(table(["warm run", "wall s", "records", "cached", "exit"], rows))
    print(f"best warm run: {best.wall_s:.2f}s = {best.wall_s / n * 1000:.2f} ms per sample "
          f"peak RSS {best.peak_rss_mb:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
