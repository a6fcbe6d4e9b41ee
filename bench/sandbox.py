"""What the sandbox costs per program. Prints numbers; asserts nothing.

    python bench/sandbox.py [--programs 50]

A trivial program (``print(1)``) run N times, one at a time and then as many at once as the
sandbox allows, three ways: in the bwrap sandbox, through the same launcher and limits without
bwrap (``isolation="none"``), and as a bare ``python3 -c`` asyncio subprocess. Each figure is
wall time divided by N, in milliseconds, the best of three rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from common import ROOT

sys.path.insert(0, str(ROOT))

from pytest_llmeval.sandbox import Sandbox, check_available
from pytest_llmeval.sandbox.bwrap import SYSTEM_PYTHON

SOURCE = "print(1)"
ROUNDS = 3


async def bare(parallel: int) -> None:
    async with _bare_slots(parallel):
        process = await asyncio.create_subprocess_exec(
            SYSTEM_PYTHON, "-c", SOURCE, stdout=asyncio.subprocess.PIPE
        )
        await process.communicate()


_slots: dict[int, asyncio.Semaphore] = {}


def _bare_slots(parallel: int) -> asyncio.Semaphore:
    return _slots.setdefault(parallel, asyncio.Semaphore(parallel))


async def per_program_ms(kind: str, programs: int, parallel: int) -> float:
    sandbox = None if kind == "bare" else Sandbox(isolation=kind, python=SYSTEM_PYTHON)  # type: ignore[arg-type]

    async def one() -> None:
        if sandbox is None:
            await bare(parallel)
        else:
            result = await sandbox.run(SOURCE)
            assert result.stdout == "1\n", result

    best = float("inf")
    for _ in range(ROUNDS):
        if sandbox is not None:
            sandbox.parallel = parallel
        _slots.clear()
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(programs)))
        best = min(best, time.perf_counter() - started)
    return best / programs * 1000


async def main(programs: int) -> None:
    problem = check_available()
    if problem:
        raise SystemExit(problem)
    cpus = Sandbox().parallel
    print(f"ms per program, N={programs}, best of {ROUNDS}, parallel={cpus}")
    print(f"{'':28}{'sequential':>12}{'parallel':>12}")
    for kind, label in (
        ("bwrap", "bwrap sandbox"),
        ("none", "launcher, no sandbox"),
        ("bare", "bare python3 -c"),
    ):
        sequential = await per_program_ms(kind, programs, 1)
        parallel = await per_program_ms(kind, programs, cpus)
        print(f"{label:28}{sequential:12.1f}{parallel:12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=50)
    asyncio.run(main(parser.parse_args().programs))
