"""A run against a rate-limited server: does adaptive concurrency lose no sample and waste few
calls? Prints numbers; asserts nothing.

    python bench/rate_limit.py [--samples 1000] [--rate 100] [--burst 20] [--latency 0.2]

The scripted server (in its own process) is a token bucket: `rate` requests per second in
bursts of `burst`, each answered after `latency`; over it, 429 with Retry-After. It sustains
rate × latency calls in flight; the harness starts at --llm-concurrency (the ceiling) and must
find that. Per configuration: samples scored and lost, calls sent, 429s (per sample), wall time
of the test loop against the bucket's floor ((N - burst) / rate), and the concurrency the
endpoint was allowed at the end. The first row is the reference: a ceiling of exactly
rate × latency, what a user who knew the limit would set.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import PYTHON, measure, scripted_server, table

SUITE = "bench/suite/test_echo.py"


def run(url: str, samples: int, concurrency: int, *extra: str) -> list[object]:
    output = Path(tempfile.mkdtemp(prefix="llmeval-rate-"))
    command = [
        PYTHON, "-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider", "-p", "no:html",
        "--llm-model=bench", f"--llm-base-url={url}", f"--llm-data=echo={samples}",
        f"--llm-concurrency={concurrency}", "--llm-no-cache", f"--llm-output={output}",
        "--llm-progress=0", *extra,
    ]  # fmt: skip
    result = measure(command)
    (run_dir,) = output.iterdir()
    meta = json.loads((run_dir / "report.json").read_text())["meta"]
    records = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    (lane,) = meta["endpoints"]["model"]
    scored = sum(r["passed"] for r in records)
    return [
        f"ceiling {concurrency}" + (f" {' '.join(extra)}" if extra else ""),
        f"{scored}/{samples}",
        samples - scored,
        lane["calls"],
        f"{lane['throttled']} ({lane['throttled'] / samples:.3f})",
        f"{result.run_phase_s:.2f}",
        lane["concurrency"],
        result.returncode,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    n = args.samples
    floor = max(n - args.burst, 0) / args.rate
    rows = []
    oracle = max(1, round(args.rate * args.latency))  # a fixed concurrency that knows the limit
    configs = [(oracle, ()), (64, ()), (256, ()), (256, (f"--llm-rate={args.rate:g}",))]
    for concurrency, extra in configs:
        server_args = ["--text=ok", f"--delay={args.latency}", f"--rate={args.rate}"]
        with scripted_server(*server_args, f"--burst={args.burst}") as url:
            rows.append(run(url, n, concurrency, *extra))
    print(
        f"{n} samples; the server: {args.rate:g} requests/s, bursts of {args.burst}, "
        f"{args.latency}s each (sustains {args.rate * args.latency:g} in flight); "
        f"floor {floor:.2f}s"
    )
    headers = ["run", "scored", "lost", "calls", "429s (per sample)", "loop s", "final conc.", "rc"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
