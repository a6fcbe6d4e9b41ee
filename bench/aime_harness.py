"""The real AIME benchmark with math-verify scoring: how well the harness keeps up. Prints
numbers; asserts nothing.

    python bench/aime_harness.py [--before /work/main] [--samples 2000] [--latency 0.2]
                                 [--repeats 3] [--unboxed]

`benchmarks/test_aime25.py` on N generated samples in the AIME 2025 hub schema (two files of
question/answer rows) against the scripted server in its own process, which gives every sample
the same reply: a short worked answer ending in a boxed integer (the fast path); with
`--unboxed`, one more cell whose reply leaves the answer unboxed (math-verify in its children).
Every figure is the whole pytest run, start-up included, best of `--repeats` (three):
efficiency = (N × latency / concurrency) / wall at concurrency 32 and 128, and the wall per
sample at zero latency, also with pytest's per-test output and log capture off. With
`--before DIR` the same cells run first for the checkout in DIR (run from that folder, so its
code is the one imported), then for this one. Last, the floor this machine sets: at 32 and 128
the best whole-run efficiency any pytest run could reach, ideal / (a bare aiohttp loop's wall
+ plain pytest's time to its first test of N); at zero latency, plain pytest's whole run of N
items that fail as wrong answers do, per item, plus one bare call.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import tempfile
from pathlib import Path

from common import (
    PYTHON,
    ROOT,
    UNCAPTURED,
    Measured,
    bare_wall,
    measure,
    plain,
    scripted_server,
    table,
)

WORKED = (
    "We need the remainder of the sum modulo $1000$. Writing $S = \\sum_{{k=1}}^{{n}} k^2$, "
    "we have $S = \\frac{{n(n+1)(2n+1)}}{{6}}$, so with $n = 30$ we get $S = 9455$.\n\n"
    "Therefore the remainder is {answer}"
)
BOXED = WORKED.format(answer="$\\boxed{455}$.")
UNBOXED = WORKED.format(answer="455.")


def write_data(folder: Path, samples: int) -> Path:
    """AIME 2025's layout: AIME2025-I.jsonl and AIME2025-II.jsonl, question and answer."""
    rng = random.Random(25)
    half = samples // 2
    for part, count in (("AIME2025-I", half), ("AIME2025-II", samples - half)):
        rows = [
            {"question": f"{part} problem {i}: the remainder?", "answer": str(rng.randrange(1000))}
            for i in range(count)
        ]
        (folder / f"{part}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def run_aime(
    checkout: Path,
    url: str,
    data: Path,
    samples: int,
    concurrency: int,
    repeats: int,
    *extra: str,
) -> Measured:
    """The best of `repeats` runs of the checkout's benchmarks/test_aime25.py, its code imported."""
    command = [
        PYTHON, "-m", "pytest", str(checkout / "benchmarks" / "test_aime25.py"), "-q",
        "-p", "no:cacheprovider", "-p", "no:html", "--llm-model=bench", f"--llm-base-url={url}",
        f"--llm-data=aime25={data}", f"--llm-concurrency={concurrency}", "--llm-no-cache",
        "--llm-output=/tmp/llmeval-bench-aime", *extra,
    ]  # fmt: skip
    runs = [measure(command, tree=checkout) for _ in range(repeats)]
    for result in runs:
        counts = re.findall(r"(\d+) (?:passed|failed)", result.stdout)
        if result.returncode not in (0, 1) or sum(map(int, counts)) != samples:
            raise SystemExit(f"run failed ({result.returncode}):\n{result.stdout[-3000:]}")
    return min(runs, key=lambda run: run.wall_s)  # the machine's noise only adds time


def floor(n: int, latency: float, repeats: int) -> list[list[str]]:
    """The rows of what no pytest run of N samples can beat on this machine (module doc)."""
    start = plain(n, repeats=repeats).first_test_s
    rows = []
    with scripted_server("--text", BOXED, "--delay", str(latency)) as url:
        for concurrency in (32, 128):
            ideal = n * latency / concurrency
            bound = ideal / (bare_wall(url, n, concurrency, repeats) + start)
            rows.append(["floor", f"plain pytest + bare loop, concurrency {concurrency}", "",
                         f"{ideal:.2f}", f"{bound:.3f}", ""])  # fmt: skip
    with scripted_server("--text", BOXED) as url:
        call = bare_wall(url, n, 32, repeats) / n * 1000
    failing = plain(n, "--tb=no", repeats=repeats, PLAIN_FAIL="1")
    per_item = failing.wall_s / n * 1000
    rows.append(["floor", "plain pytest, failing items, + one bare call, zero latency",
                 f"{failing.wall_s:.2f}", "", "", f"{per_item + call:.2f}"])  # fmt: skip
    return rows


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure first")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unboxed", action="store_true", help="also the unboxed reply's cell")
    args = parser.parse_args()
    n, latency = args.samples, args.latency
    data = write_data(Path(tempfile.mkdtemp(prefix="llmeval-aime-")), n)
    checkouts = [
        (label, path) for label, path in (("before", args.before), ("after", ROOT)) if path
    ]

    rows = []
    print(f"N={n} AIME-format samples, {os.cpu_count()} cores; {load()}")
    for label, checkout in checkouts:
        with scripted_server("--text", BOXED, "--delay", str(latency)) as url:
            for concurrency in (32, 128):
                result = run_aime(checkout, url, data, n, concurrency, args.repeats)
                ideal = n * latency / concurrency
                rows.append([
                    label, f"boxed, {latency}s, concurrency {concurrency}", f"{result.wall_s:.2f}",
                    f"{ideal:.2f}", f"{ideal / result.wall_s:.3f}", "",
                ])  # fmt: skip
        replies = [(BOXED, "boxed", ()), (BOXED, "boxed, -s -p no:logging", UNCAPTURED)]
        replies += [(UNBOXED, "unboxed (math-verify)", ())] if args.unboxed else []
        for reply, kind, extra in replies:
            with scripted_server("--text", reply) as url:
                result = run_aime(checkout, url, data, n, 32, args.repeats, *extra)
            rows.append([
                label, f"{kind}, zero latency, concurrency 32", f"{result.wall_s:.2f}", "", "",
                f"{result.wall_s / n * 1000:.2f}",
            ])  # fmt: skip
        print(f"  {label} done; {load()}")
    rows += floor(n, latency, args.repeats)
    headers = [
        "code",
        "cell",
        f"wall s (best of {args.repeats})",
        "ideal s",
        "efficiency",
        "ms per sample",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
