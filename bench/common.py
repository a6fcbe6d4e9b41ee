"""Shared pieces of the performance scripts: a scripted server in its own process, a command
timed with the peak memory of its whole process tree, and the run phase read from a marker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The checkout whose code the timed runs import (`python -m pytest` puts its cwd first on the
# path): BENCH_TREE=/other/checkout times that code with these scripts, for before/after.
TREE = Path(os.environ.get("BENCH_TREE", ROOT)).resolve()
PYTHON = sys.executable
# Timed runs read compiled bytecode as an installed package does (PYTHONDONTWRITEBYTECODE would
# recompile every module at each start-up); the cache lives under /tmp, never in a checkout.
PYCACHE = Path(tempfile.gettempdir()) / "llmeval-bench-pycache"
UNCAPTURED = ("-s", "-p", "no:logging")
"""pytest's per-test output and log capture off: a cost of pytest's own, measured apart."""


@contextmanager
def scripted_server(*args: str, module: str = "tests.scripted_server") -> Iterator[str]:
    """`python -m MODULE ARGS` in a process of its own; yields the base URL it prints."""
    process = subprocess.Popen(
        [PYTHON, "-m", module, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants, walked down through each thread's
    /proc children list: reading every process's status instead cost 5-7 ms a sample, CPU
    that the timed run and its server lost on this 2-core machine."""
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KIB
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    frontier.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # it ended while we looked
    return total


@dataclass
class Measured:
    wall_s: float
    run_phase_s: float | None
    peak_rss_mb: float
    returncode: int
    stdout: str
    first_test_s: float | None = None  # from the start to the first test (bench/suite/test_plain)


def measure(command: list[str], env: dict[str, str] | None = None, tree: Path = TREE) -> Measured:
    """Run `command` on the code of `tree` (its working directory and first on the path:
    `python -m` puts the working directory before PYTHONPATH); wall time, the test loop's own
    time (if the suite marks it), peak RSS."""
    marker = Path(tempfile.mkstemp(suffix=".json")[1])
    first = marker.with_suffix(".first")
    full_env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    full_env |= env or {}
    full_env["LLMEVAL_BENCH_MARKER"] = str(marker)
    full_env["LLMEVAL_BENCH_FIRST"] = str(first)
    started, started_epoch = time.perf_counter(), time.time()
    process = subprocess.Popen(
        command, cwd=tree, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    phase = None
    if marker.stat().st_size:
        times = json.loads(marker.read_text())
        phase = times["end"] - times["start"]
    marker.unlink()
    first_test = None
    if first.exists():
        first_test = float(first.read_text()) - started_epoch
        first.unlink()
    return Measured(wall, phase, peak / 1024, process.returncode, stdout, first_test)


def bare_wall(url: str, n: int, concurrency: int, repeats: int = 3) -> float:
    """The fastest of `repeats` bare-client loops (bench/bare_client.py): the ceiling."""
    command = [PYTHON, str(ROOT / "bench" / "bare_client.py"), url, str(n), str(concurrency)]
    return min(
        float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        for _ in range(repeats)
    )


def plain(n: int, *extra: str, repeats: int = 3, **env: str) -> Measured:
    """The fastest of `repeats` runs of N plain pytest items (bench/suite/test_plain.py),
    without this plugin; they also give the time to the first test (`Measured.first_test_s`)."""
    command = [PYTHON, "-m", "pytest", "bench/suite/test_plain.py", "-q", "-p", "no:cacheprovider",
               "-p", "no:llmeval_bench"]  # fmt: skip
    runs = [
        measure([*command, *extra], env={"PLAIN_ITEMS": str(n), **env}, tree=ROOT)
        for _ in range(repeats)
    ]
    for run in runs:
        if run.first_test_s is None:
            raise SystemExit(
                f"plain run wrote no first-test time ({run.returncode}):\n{run.stdout[-3000:]}"
            )
    return min(runs, key=lambda run: run.wall_s)


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
