"""Running a benchmark's tests on a model's program in the sandbox, to one result per suite.

The harness (`code_harness.py`, run inside the sandbox) reports each test on a channel of its
own; this side reads those reports and, for LiveCodeBench's tests, compares the program's output
with the expected one here, outside the sandbox, so the expected outputs never reach the
program. EvalPlus's and HumanEval's test code carries its expected values, so those tests decide
in the sandbox. A suite stops at its first failure, which the result describes: the test, its
input, expected and actual output, the error; plus resource use and standard error, cut.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import HarnessError
from ..sandbox import Limits, ProgramResult, Sandbox, SandboxError

HARNESS = Path(__file__).with_name("code_harness.py").read_text()
TEXT_KEPT = 1000  # characters of an input, output or error kept in a record
STDERR_KEPT = 2000
STATUSES = ("passed", "failed", "timeout", "memory", "output_limit", "syntax_error", "no_code")
"""How a program's tests ended: the sample's status reason."""


@dataclass(frozen=True)
class IOTest:
    """A LiveCodeBench test: standard input (or JSON lines of arguments) and expected output."""

    input: str
    output: str
    label: str = ""


@dataclass
class SuiteResult:
    """One suite of tests (base or plus, public or private) on one program."""

    name: str
    status: str  # one of STATUSES
    passed: int = 0
    total: int | None = None
    failure: dict[str, Any] | None = None
    """The first failing test: test, input, expected, actual, error (texts cut)."""
    results: list[dict[str, Any]] = field(default_factory=list)
    """Per test up to the first failure (LiveCodeBench): test, status, wall_s."""
    stderr: str = ""
    exit_code: int | None = None
    wall_s: float | None = None
    cpu_s: float | None = None
    max_rss_kb: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.results:
            del data["results"]
        return data


def cut(text: str, limit: int = TEXT_KEPT) -> str:
    if len(text) <= limit:
        return text
    head, tail = limit // 3, limit * 2 // 3
    return f"{text[:head]}[... {len(text) - head - tail} characters cut ...]{text[-tail:]}"


def _events(result: ProgramResult, nonce: str) -> list[dict[str, Any]]:
    """The harness's reports: lines carrying the nonce that parse; anything else is noise."""
    events = []
    prefix = nonce + " "
    for line in result.stdout.splitlines():
        if line.startswith(prefix):
            try:
                event = json.loads(line[len(prefix) :])
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
    return events


async def _run(
    sandbox: Sandbox, program: str, job: dict[str, Any], files: dict[str, str], limits: Limits
) -> tuple[list[dict[str, Any]], ProgramResult]:
    nonce = secrets.token_hex(16)
    named = {"solution.py": program, "job.json": json.dumps(job), **files}
    try:
        result = await sandbox.run(HARNESS, stdin=nonce, limits=limits, files=named)
    except SandboxError as error:
        raise HarnessError(f"sandbox: {error}", kind="sandbox") from None
    return _events(result, nonce), result


def _resources(suite: SuiteResult, result: ProgramResult) -> SuiteResult:
    suite.exit_code = result.exit_code
    suite.wall_s = round(result.wall_s, 4)
    suite.cpu_s = None if result.cpu_s is None else round(result.cpu_s, 4)
    suite.max_rss_kb = result.max_rss_kb
    suite.stderr = cut(result.stderr, STDERR_KEPT)
    return suite


def _unfinished(suite: SuiteResult, result: ProgramResult, events: list[dict[str, Any]]) -> None:
    """The harness stopped without a verdict: the sandbox's limits say why, or the program
    ended the harness itself (os._exit, a signal, killing its parent)."""
    if not any(event.get("e") == "start" for event in events) and result.status == "failed":
        raise HarnessError(f"the test harness did not start: {cut(result.stderr, 300)}")
    suite.status = result.status if result.status not in ("ok", "failed") else "failed"
    reason = {
        "timeout": "the program ran over the time limit of its tests",
        "memory": "the program ran out of memory",
        "output_limit": "the program printed more than its output limit",
    }.get(suite.status, f"the program ended the test harness (exit code {result.exit_code})")
    suite.failure = {"test": f"{suite.name} {suite.passed + 1}", "error": reason}


def _setup(events: list[dict[str, Any]]) -> None:
    for event in events:
        if event.get("e") == "setup":
            raise HarnessError(f"the benchmark's tests cannot run: {event.get('error')}")


def _syntax_or_load(suite: SuiteResult, event: dict[str, Any]) -> bool:
    """A program that does not compile or whose top level fails: True when it was that."""
    if event.get("e") == "syntax":
        suite.status = "syntax_error"
        suite.failure = {"test": "compiling the program", "error": cut(str(event.get("error")))}
        return True
    if event.get("e") == "load":
        suite.status = str(event.get("status", "failed"))
        suite.failure = {"test": "loading the program", "error": cut(str(event.get("error")))}
        return True
    return False


# -- tests whose code decides (EvalPlus, HumanEval) ------------------------------------------
async def check_suite(
    sandbox: Sandbox,
    name: str,
    program: str,
    tests: str,
    *,
    cases: str,
    call: str | None,
    case_s: float,
    limits: Limits,
) -> SuiteResult:
    """Run test code on `program`: `cases` is "loop" (each iteration of the tests' loop over
    their inputs is a test) or "asserts" (each assert is); `call` names the function given to
    the tests' ``check(candidate)``, None when the tests call it themselves."""
    job = {"mode": "check", "cases": cases, "call": call, "case_s": case_s}
    size_mb = math.ceil((len(program) + len(tests)) / (1 << 20))
    limits = Limits(**{**asdict(limits), "disk_mb": max(limits.disk_mb, 2 * size_mb + 16)})
    events, result = await _run(sandbox, program, job, {"tests.py": tests}, limits)
    _setup(events)
    suite = _resources(SuiteResult(name, "failed"), result)
    for event in events:
        kind = event.get("e")
        if _syntax_or_load(suite, event):
            return suite
        if kind == "pass":
            suite.passed = int(event.get("n", suite.passed + 1))
        elif kind == "fail":
            suite.status = str(event.get("status", "failed"))
            line = event.get("line")
            index = event.get("index")
            test = f"{name} {event.get('n', suite.passed + 1)}"
            if index is not None:
                test += f" (input #{index})"
            elif line is not None:
                test += f" (tests line {line})"
            suite.failure = {
                "test": test,
                **{
                    key: cut(str(event[key]))
                    for key in ("input", "expected", "actual", "error")
                    if key in event
                },
            }
            return suite
        elif kind == "done":
            suite.status, suite.total = "passed", suite.passed
            return suite
    _unfinished(suite, result, events)
    return suite


# -- tests compared here (LiveCodeBench) -----------------------------------------------------
def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(token) for token in line.split()]
    except (InvalidOperation, ValueError):
        return None


def stdout_matches(actual: str, expected: str) -> tuple[bool, str]:
    """LiveCodeBench's rule: the same lines once stripped, each equal as text or, token by
    token, as decimal numbers ("0.50" is "0.5"). Returns (equal, why not)."""
    got, want = _stripped_lines(actual), _stripped_lines(expected)
    if len(got) != len(want):
        return False, f"{len(got)} lines of output, expected {len(want)}"
    for number, (mine, theirs) in enumerate(zip(got, want), 1):
        if mine == theirs:
            continue
        numbers, wanted = _decimals(mine), _decimals(theirs)
        try:
            same = numbers is not None and wanted is not None and numbers == wanted
        except InvalidOperation:  # a signalling NaN compares as nothing
            same = False
        if not same:
            return False, f"line {number}: {cut(mine, 120)!r} != {cut(theirs, 120)!r}"
    return True, ""


def value_matches(actual: str | None, expected: str) -> tuple[bool, str]:
    """LiveCodeBench's functional rule: the returned value equals the expected JSON value (a
    tuple counting as a list)."""
    try:
        wanted = json.loads(expected)
    except ValueError:
        raise HarnessError(f"an expected output is not JSON: {cut(expected, 100)!r}") from None
    if actual is None:
        return False, "the returned value is not JSON"
    if json.loads(actual) == wanted:
        return True, ""
    return False, "the returned value differs"


def output_cap(expected: str) -> int:
    """Bytes of output kept per test: enough for any right answer, far short of a flood."""
    return 2 * len(expected.encode("utf-8", "surrogatepass")) + (64 << 10)


async def io_suite(
    sandbox: Sandbox,
    name: str,
    program: str,
    tests: Sequence[IOTest],
    *,
    fn_name: str | None,
    case_s: float,
    limits: Limits,
) -> SuiteResult:
    """Run LiveCodeBench tests: stdin/stdout when `fn_name` is None, else calls of that
    method of ``Solution`` (or function); outputs compared here, in order, to the first
    failure. Time: `case_s` per test, and LiveCodeBench's (case_s + 1) per test + 5 in all."""
    suite = SuiteResult(name, "passed", total=len(tests))
    if not tests:
        return suite
    caps = [output_cap(test.output) for test in tests]
    data = json.dumps({"inputs": [test.input for test in tests], "caps": caps})
    job = {"mode": "call" if fn_name else "stdin", "fn_name": fn_name, "case_s": case_s}
    wall = (case_s + 1) * len(tests) + 5
    limits = Limits(
        **{
            **asdict(limits),
            "wall_s": wall,
            "cpu_s": wall,
            "output_bytes": 6 * sum(caps) + (1 << 20),  # JSON-escaped outputs, worst case
            "disk_mb": max(limits.disk_mb, math.ceil((3 * len(data) + 3 * max(caps)) / 2**20) + 16),
        }
    )
    events, result = await _run(sandbox, program, job, {"tests.json": data}, limits)
    _setup(events)
    _resources(suite, result)
    cases = {int(e["i"]): e for e in events if e.get("e") == "case" and "i" in e}
    for event in events:
        if _syntax_or_load(suite, event):
            return suite
    for index, test in enumerate(tests):
        label = test.label or f"{name} {index + 1}"
        event = cases.get(index)
        if event is None:
            _unfinished(suite, result, events)
            suite.failure = {**(suite.failure or {}), "test": label, "input": cut(test.input)}
            return suite
        status = str(event.get("status"))
        entry = {"test": label, "status": "passed", "wall_s": round(event.get("wall_s", 0), 4)}
        if status == "ok":
            output = event.get("output")
            if fn_name:
                same, why = value_matches(output, test.output)
            else:
                same, why = stdout_matches(str(output), test.output)
            if same:
                suite.passed += 1
                suite.results.append(entry)
                continue
            suite.status = "failed"
            actual = event.get("repr") if output is None else output
            suite.failure = {"test": label, "input": cut(test.input),
                             "expected": cut(test.output), "actual": cut(str(actual)),
                             "error": f"wrong answer: {why}"}  # fmt: skip
        else:
            suite.status = "failed" if status == "error" else status
            error = cut(str(event.get("error", "")))
            suite.failure = {"test": label, "input": cut(test.input),
                             "expected": cut(test.output), "error": error}  # fmt: skip
            if status == "timeout":
                suite.failure["error"] = f"ran over {case_s:g}s"
        suite.results.append({**entry, "status": suite.status})
        return suite
    return suite
