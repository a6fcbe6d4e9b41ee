"""How much the harness adds to the model server's own latency, and how well it keeps calls
in flight. Prints numbers; asserts nothing.

    python bench/harness.py [--samples 2000] [--latency 0.2] [--big]
    BENCH_TREE=/other/checkout python bench/harness.py     # time that checkout's code

Each configuration runs three times and keeps its fastest whole run. Per configuration: wall
time of the whole pytest run (interpreter start-up, collection and reports included) and of its
test loop; ideal = N × latency / concurrency; efficiency of the whole run = ideal / wall, of the
test loop = ideal / loop; the peak RSS of the process tree; and the ceiling: the efficiency of
a bare aiohttp loop (bench/bare_client.py, no pytest, start-up excluded) making the same calls
against the same server, which is what this machine and server allow at all (the harness runs
a process that shares the cores with the server); and the bound: the best whole-run efficiency
any pytest run could reach, ideal / (the bare loop's wall + the time plain pytest takes to
reach its first test with N items, `-n` alike), as no call can start before that. `--big`
adds concurrency 512 (N = 10,000, 1.0 s latency). Then the cost per sample at zero latency,
next to plain pytest's own cost per item and the floor (plain pytest's item + one bare call),
and with pytest's per-test output and log capture off (`-s -p no:logging`).
"""

from __future__ import annotations

import argparse

from common import (
    PYTHON,
    TREE,
    UNCAPTURED,
    bare_wall,
    measure,
    plain,
    scripted_server,
    table,
)

SUITE = "bench/suite/test_echo.py"
REPEATS = 3


def run_echo(url: str, samples: int, concurrency: int, workers: int, *extra: str):
    command = [
        PYTHON, "-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider", "-p", "no:html",
        "--llm-model=bench", f"--llm-base-url={url}", f"--llm-data=echo={samples}",
        f"--llm-concurrency={concurrency}", "--llm-no-cache", "--llm-output=/tmp/llmeval-bench",
        "-n", str(workers), *extra,
    ]  # fmt: skip
    runs = [measure(command) for _ in range(REPEATS)]
    for result in runs:
        if result.returncode != 0:
            raise SystemExit(f"run failed ({result.returncode}):\n{result.stdout[-3000:]}")
    return min(runs, key=lambda run: run.wall_s)  # the machine's noise only adds time


def failure_summary(url: str) -> list[list[object]]:
    """5,000 samples, every third answer wrong: the time pytest spends after the test loop."""
    rows = []
    for label, extra in (("default (--tb=no)", []), ("--tb=short", ["--tb=short"])):
        command = [
            PYTHON, "-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider", "-p", "no:html",
            "--llm-model=bench", f"--llm-base-url={url}", "--llm-data=echo=5000",
            "--llm-no-cache", "--llm-output=/tmp/llmeval-bench", *extra,
        ]  # fmt: skip
        result = measure(command, env={"ECHO_WRONG_EVERY": "3"})
        after_loop = result.wall_s - (result.run_phase_s or 0)
        rows.append(
            [label, f"{result.wall_s:.2f}", f"{result.run_phase_s:.2f}", f"{after_loop:.2f}"]
        )
    return rows


def cell(
    url: str, label: str, n: int, latency: float, concurrency: int, workers: int, start: float
) -> list:
    """One row; `start` is plain pytest's time to its first test with N items, `-n` alike."""
    result = run_echo(url, n, concurrency, workers)
    total = concurrency * max(workers, 1)
    ideal = n * latency / total
    bare = bare_wall(url, n, total, REPEATS)
    return [
        label, f"{result.wall_s:.2f}", f"{result.run_phase_s:.2f}", f"{ideal:.2f}",
        f"{ideal / result.wall_s:.3f}", f"{ideal / result.run_phase_s:.3f}",
        f"{ideal / bare:.3f}", f"{ideal / (bare + start):.3f}", f"{result.peak_rss_mb:.0f}",
    ]  # fmt: skip


HEADERS = ["configuration", "wall s", "test loop s", "ideal s", "efficiency (whole run)",
           "efficiency (test loop)", "ceiling (bare client)", "bound (whole run)",
           "peak RSS MB"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--big", action="store_true", help="also 512 (N=10,000, 1.0 s)")
    args = parser.parse_args()
    n, latency = args.samples, args.latency
    print(f"timing the code of {TREE}")

    plains = {w: plain(n, "-n", str(w), repeats=REPEATS) for w in (0, 2)}
    start = {w: run.first_test_s for w, run in plains.items()}
    rows = []
    with scripted_server("--text", "ok", "--delay", str(latency)) as url:
        for label, concurrency, workers in (
            ("in-process 32", 32, 0),
            ("in-process 128", 128, 0),
            ("-n 2 × 16 (32 total)", 16, 2),
            ("-n 2 × 64 (128 total)", 64, 2),
        ):
            rows.append(cell(url, label, n, latency, concurrency, workers, start[workers]))
    print(f"N={n} samples, server latency {latency}s; plain pytest reaches its first test of N")
    print(f"in {start[0]:.2f}s (-n 0) and {start[2]:.2f}s (-n 2)\n")
    print(table(HEADERS, rows))
    if args.big:
        big_start = plain(10_000, repeats=REPEATS).first_test_s
        with scripted_server("--text", "ok", "--delay", "1.0") as url:
            big = [cell(url, "in-process 512", 10_000, 1.0, 512, 0, big_start)]
        print("\nN=10000 samples, server latency 1.0s\n")
        print(table(HEADERS, big))

    with scripted_server("--text", "ok") as url:
        echo = run_echo(url, n, 32, 0)
        uncaptured = run_echo(url, n, 32, 0, *UNCAPTURED)
        small = run_echo(url, 1, 32, 0)
        summary = failure_summary(url)
        call = bare_wall(url, n, 32, REPEATS) / n * 1000
    items = plains[0]
    per_sample = echo.run_phase_s / n * 1000
    per_item = items.run_phase_s / n * 1000 if items.run_phase_s else float("nan")
    print(f"\nzero latency, N={n}, in-process 32:")
    print(f"  whole run {echo.wall_s / n * 1000:.3f} ms per sample (start-up included)")
    print(
        f"  test loop {echo.run_phase_s:.2f}s = {per_sample:.3f} ms per sample "
        f"(plain pytest item: {per_item:.3f} ms; "
        f"added by the harness: {per_sample - per_item:.3f} ms)"
    )
    print(
        f"  floor: plain pytest item {per_item:.3f} ms + one bare call {call:.3f} ms = "
        f"{per_item + call:.3f} ms per sample; with start-up, plain pytest's whole run "
        f"{items.wall_s / n * 1000:.3f} ms + the call = {items.wall_s / n * 1000 + call:.3f} ms"
    )
    print(
        f"  with -s -p no:logging (no per-test output and log capture): test loop "
        f"{uncaptured.run_phase_s / n * 1000:.3f} ms, "
        f"whole run {uncaptured.wall_s / n * 1000:.3f} ms per sample"
    )
    print(
        f"  whole run {echo.wall_s:.2f}s (1 sample: {small.wall_s:.2f}s fixed cost), "
        f"peak RSS {echo.peak_rss_mb:.0f} MB"
    )

    print("\n5,000 samples, 1,667 wrong answers (start-up + collection + summary = wall - loop):")
    print(table(["terminal summary", "wall s", "test loop s", "outside the loop s"], summary))


if __name__ == "__main__":
    main()
