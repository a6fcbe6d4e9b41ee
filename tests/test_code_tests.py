"""The code benchmarks' test runs on their own (no pytest run): a program cannot pass by faking
the harness's reports, and limits end in the named status."""

from __future__ import annotations

import asyncio

import pytest

from pytest_llmeval.sandbox import Limits, Sandbox, check_available
from pytest_llmeval.scoring.code_tests import IOTest, SuiteResult, check_suite, io_suite

PROBLEM = check_available()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
LIMITS = Limits(wall_s=20, cpu_s=20, memory_mb=1024)
TESTS = "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(3) == 9\n"


def check(program: str, tests: str = TESTS, **kwargs: object) -> SuiteResult:
    options = {"cases": "asserts", "call": "square", "case_s": 2.0, "limits": LIMITS, **kwargs}
    return asyncio.run(check_suite(Sandbox(), "base", program, tests, **options))  # type: ignore[arg-type]


def io(program: str, tests: list[IOTest], fn_name: str | None = None) -> SuiteResult:
    run = io_suite(Sandbox(), "public", program, tests, fn_name=fn_name, case_s=2.0, limits=LIMITS)
    return asyncio.run(run)


@pytest.mark.parametrize(
    "program",
    [
        # claims every test passed, on standard output and on every descriptor, then leaves
        "import os\nfor fd in range(1, 20):\n    try:\n"
        '        os.write(fd, b\'0 {"e": "done"}\\n\')\n'
        "    except OSError:\n        pass\nos._exit(0)\n",
        # ends the harness with success in the middle of the first test
        "def square(n):\n    import os\n    os._exit(0)\n",
        # kills its parent (the harness's launcher), hoping the wrong answer goes unseen
        "def square(n):\n    import os, signal\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    return n\n",
    ],
)
def test_a_program_cannot_pass_by_ending_or_faking_the_harness(program):
    suite = check(program)
    assert suite.status == "failed" and suite.passed == 0, suite


def test_an_exit_during_the_tests_is_a_failure_not_a_pass():
    suite = check("def square(n):\n    raise SystemExit(0)\n")
    assert suite.status == "failed"
    assert suite.failure["actual"] == "raised SystemExit: 0"


def test_a_print_flood_on_stderr_is_output_limit():
    suite = check(
        "import sys\ndef square(n):\n    sys.stderr.write('x' * 10**8)\n    return n * n\n"
    )
    assert suite.status == "output_limit"


def test_a_stdin_program_printing_a_gigabyte_is_output_limit():
    suite = io("import sys\nwhile True:\n    sys.stdout.write('y' * 2**20)\n", [IOTest("", "y")])
    assert suite.status == "output_limit"
    assert suite.failure["test"] == "public 1"


def test_memory_exhaustion_is_memory():
    suite = check("def square(n):\n    return len(bytearray(50 * 2**30))\n")
    assert suite.status == "memory"
    assert "MemoryError" in suite.failure["actual"]
    stdin = io("x = bytearray(50 * 2**30)\n", [IOTest("", "")])
    assert stdin.status == "memory"


def test_a_stdin_program_gets_a_fresh_process_per_test():
    # a global changed by the first run is back to its start in the second
    program = "runs = globals().get('runs', 0) + 1\nprint(runs)\n"
    suite = io(program, [IOTest("", "1"), IOTest("", "1")])
    assert (suite.status, suite.passed) == ("passed", 2)


def test_a_non_json_return_value_is_a_wrong_answer():
    program = "class Solution:\n    def f(self, n):\n        return {n}\n"
    suite = io(program, [IOTest("1", "[1]")], fn_name="f")
    assert suite.status == "failed"
    assert (suite.failure["actual"], suite.failure["error"]) == (
        "{1}",
        "wrong answer: the returned value is not JSON",
    )
