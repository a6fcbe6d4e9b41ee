"""What the code benchmarks' test runs cost per program, as the benchmarks make them. Prints
numbers; asserts nothing.

    python bench/code_sandbox.py [--programs 20]

Each figure is the wall time of N test runs of a correct program, divided by N, in
milliseconds, the best of three rounds, one at a time and then as many at once as the sandbox
allows (the CPU count): a bare sandboxed ``print(1)`` for reference, then HumanEval+'s base
suite (the original asserts), its plus suite (EvalPlus's harness: numpy and a loop over 60
inputs), and LiveCodeBench's stdin suite (10 tests, a forked process each) and functional suite
(10 calls). The data are our own problems of tests/data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable

from common import ROOT

sys.path.insert(0, str(ROOT))

from pytest_llmeval.benchmarks.evalplus import CASE_S, HumanEvalPlus
from pytest_llmeval.sandbox import Limits, Sandbox, check_available
from pytest_llmeval.scoring.code_tests import IOTest, check_suite, io_suite

ROUNDS = 3
DATA = ROOT / "tests" / "data"


def workloads(sandbox: Sandbox) -> dict[str, Callable[[], Awaitable[object]]]:
    humaneval = HumanEvalPlus()
    sample = humaneval.load(str(DATA / "humaneval_plus"))[0]
    program = sample.target
    inputs = [[list(range(n))] for n in range(60)]
    results = [sum(i * i for i in range(n)) for n in range(60)]
    plus_test = sample.meta["plus_test"].split("def check(candidate):")[0] + (
        f"def check(candidate):\n    inputs = {inputs!r}\n    results = {results!r}\n"
        "    for i, (inp, exp) in enumerate(zip(inputs, results)):\n"
        "        assertion(candidate(*inp), exp, 0)\n"
    )
    limits = humaneval.limits()
    solutions = json.loads((DATA / "live_code_bench" / "solutions.json").read_text())
    stdin_tests = [IOTest(f"{n} {n}\n", f"{2 * n}\n") for n in range(10)]
    call_tests = [IOTest(f"{n}\n{n}", str(2 * n)) for n in range(10)]
    adder = "class Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n"

    def evalplus(name: str, tests: str, cases: str) -> Callable[[], Awaitable[object]]:
        async def run() -> None:
            suite = await check_suite(
                sandbox, name, program, tests, cases=cases, call=sample.meta["entry_point"],
                case_s=CASE_S, limits=limits,
            )  # fmt: skip
            assert suite.ok, suite

        return run

    def lcb_run(program: str, tests: list[IOTest], fn_name: str | None) -> Callable:
        async def run() -> None:
            suite = await io_suite(
                sandbox, "public", program, tests, fn_name=fn_name, case_s=6.0, limits=limits
            )
            assert suite.ok, suite

        return run

    async def bare() -> None:
        result = await sandbox.run("print(1)", limits=Limits())
        assert result.stdout == "1\n", result

    return {
        "sandbox, print(1)": bare,
        "HumanEval+ base (3 asserts)": evalplus("base", sample.meta["base_test"], "asserts"),
        "HumanEval+ plus (numpy, 60 inputs)": evalplus("plus", plus_test, "loop"),
        "LCB stdin (10 tests, a fork each)": lcb_run(solutions["abc900_a"], stdin_tests, None),
        "LCB functional (10 calls)": lcb_run(adder, call_tests, "add"),
    }


async def per_program_ms(sandbox: Sandbox, run: Callable[[], Awaitable[object]], n: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await asyncio.gather(*(run() for _ in range(n)))
        best = min(best, time.perf_counter() - started)
    return best / n * 1000


async def main(programs: int) -> None:
    problem = check_available()
    if problem:
        raise SystemExit(problem)
    sandbox = Sandbox()
    cpus = sandbox.parallel
    load = os.getloadavg()[0]
    print(f"ms per program, N={programs}, best of {ROUNDS}, parallel={cpus}, load {load:.1f}")
    print(f"{'':38}{'sequential':>12}{'parallel':>12}")
    for label, run in workloads(sandbox).items():
        figures = []
        for parallel in (1, cpus):
            sandbox.parallel, sandbox._slots = parallel, None  # a semaphore of that size
            figures.append(await per_program_ms(sandbox, run, programs))
        print(f"{label:38}{figures[0]:12.1f}{figures[1]:12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=20)
    asyncio.run(main(parser.parse_args().programs))
