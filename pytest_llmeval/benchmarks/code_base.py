"""What the code benchmarks share: the sandbox, the program from the reply, the run of its tests
after the model's call, the status reason, pass@k over repeats.

The model's program runs in `Benchmark.evaluate`, on the prefetcher's loop after the call and
outside the bound on samples in their calls; the sandbox bounds programs to the CPU count. What
the tests found goes into the outcome's ``extra`` (so into samples.jsonl): the program, the
sandbox used, the status reason and, per suite, each test's outcome up to the first failure and
the resources used. `score` only reads it.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Sequence
from typing import Any, ClassVar

from ..config import Option, parse_choice
from ..data import DataError
from ..records import Outcome, Sample, SampleRecord, Verdict
from ..sandbox import Limits, Sandbox, SandboxError, check_available
from ..sandbox.bwrap import SYSTEM_PYTHON
from ..scoring.code import drop_reasoning, extract_code, fenced_blocks
from ..scoring.code_tests import SuiteResult, cut
from .base import Benchmark, HarnessError, pass_at_k_metrics, pass_at_k_names

SANDBOX = Option(
    "--llm-sandbox",
    "code benchmarks: how model-written programs run: bwrap (default, isolated) or none "
    "(NO isolation: the program can read and change anything you can; only on a throw-away "
    "machine)",
    default="bwrap",
    parse=parse_choice("bwrap", "none"),
)
UNSANDBOXED = (
    "model-written programs ran WITHOUT a sandbox (--llm-sandbox=none): they could read your "
    "files and keys and use the network"
)
_SANDBOXES: dict[str, Sandbox] = {}
_IMPORTABLE: dict[tuple[str, str], bool] = {}
_CODE_LINE = re.compile(r"^\s*(def |class |import |from \S+ import |print\(|for |while |if )", re.M)


def shared_sandbox(isolation: str) -> Sandbox:
    """One sandbox per process and isolation, so all code benchmarks share its CPU bound."""
    if isolation not in _SANDBOXES:
        try:
            _SANDBOXES[isolation] = Sandbox(isolation=isolation)  # type: ignore[arg-type]
        except SandboxError as error:
            raise HarnessError(str(error), kind="sandbox") from None
    return _SANDBOXES[isolation]


def has_code(reply: str, program: str) -> bool:
    """False when the reply holds nothing that looks like a program (prose, or nothing). A
    reply with code whose program came out empty (sanitized away) still runs, and fails."""
    text = drop_reasoning(reply)
    return bool(fenced_blocks(text)) or bool(_CODE_LINE.search(program))


def compiles(program: str) -> str | None:
    """None when the program compiles; else the SyntaxError's line (the harness checks too,
    with the sandbox's own interpreter)."""
    try:
        compile(program, "solution.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        return f"line {error.lineno}: {error.msg}"
    except (ValueError, OverflowError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: {error}"
    return None


class CodeBenchmark(Benchmark):
    """A benchmark whose samples are programs run on tests: subclasses give the prompt and
    data (`sample`), the program from a reply (`program`) and the suites (`run_suites`)."""

    options: ClassVar[tuple[Option, ...]] = (SANDBOX,)
    main_metric: ClassVar[str] = "AveragePass@1"
    needs_numpy: ClassVar[bool] = False
    """The benchmark's tests import numpy in the sandbox (the system Python's)."""

    @property
    def isolation(self) -> str:
        return str(self.option("--llm-sandbox"))

    @property
    def derived(self) -> tuple[str, ...]:  # type: ignore[override]
        return pass_at_k_names(self.repeats)

    # -- before loading ----------------------------------------------------------------------
    def prepare(self) -> None:
        """The sandbox must work here; without it the benchmark does not start."""
        if self.isolation == "bwrap":
            problem = check_available()
            if problem is not None:
                raise DataError(f"{problem} (or, with NO isolation, --llm-sandbox=none)")
        if self.needs_numpy and not _imports(self.isolation, "numpy"):
            python = SYSTEM_PYTHON if self.isolation == "bwrap" else sys.executable
            raise DataError(
                f"the tests import numpy, which the sandbox's Python ({python}) cannot: "
                "apt-get install python3-numpy"
            )

    def notices(self) -> list[str]:
        return [UNSANDBOXED] if self.isolation == "none" else []

    # -- after the call --------------------------------------------------------------------
    def program(self, sample: Sample, reply: str) -> str:
        """The program a reply gives (the default: `extract_code`)."""
        return extract_code(reply)

    async def run_suites(self, sample: Sample, program: str, sandbox: Sandbox) -> list[SuiteResult]:
        """The sample's test suites on `program`, in order; a suite after a failed one may be
        left out."""
        raise NotImplementedError

    def limits(self, **changes: Any) -> Limits:
        return Limits(**{"wall_s": 60.0, "cpu_s": 60.0, "memory_mb": 4096, **changes})

    async def evaluate(self, sample: Sample, outcome: Outcome) -> None:
        extra = outcome.extra
        extra["sandbox"] = self.isolation
        reply = outcome.final.text
        program = self.program(sample, reply)
        extra["program"] = program
        if outcome.final.refused:
            extra["status"] = "refused"
            return
        if not has_code(reply, program):
            extra["status"] = "no_code"
            return
        problem = compiles(program)
        if problem is not None:
            extra["status"], extra["syntax_error"] = "syntax_error", problem
            return
        suites = await self.run_suites(sample, program, shared_sandbox(self.isolation))
        extra["tests"] = {suite.name: suite.to_dict() for suite in suites}
        failed = next((suite for suite in suites if not suite.ok), None)
        extra["status"] = "passed" if failed is None else failed.status

    # -- scoring ---------------------------------------------------------------------------
    def suite_metrics(self, suites: dict[str, dict[str, Any]]) -> dict[str, float]:
        """Per-sample metric values from the suites' results (default: all passed)."""
        ok = bool(suites) and all(suite["status"] == "passed" for suite in suites.values())
        return {self.main_metric: float(ok)}

    def score(self, sample: Sample, outcome: Outcome) -> Verdict:
        extra = outcome.extra
        status = extra.get("status", "not run")
        program = extra.get("program")
        suites: dict[str, dict[str, Any]] = extra.get("tests", {})
        if suites and status not in ("no_code", "syntax_error", "refused", "not run"):
            metrics = self.suite_metrics(suites)
        else:
            metrics = dict.fromkeys(self.metrics, 0.0)
        passed = metrics.get(self.main_metric, 0.0) >= 1.0
        return Verdict(passed, reason(status, extra), metrics, program)

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        return super().aggregate(records) | pass_at_k_metrics(records)


def reason(status: str, extra: dict[str, Any]) -> str:
    """One line naming how the tests ended: the first failure, its test and why."""
    suites: dict[str, dict[str, Any]] = extra.get("tests", {})
    if status == "passed":
        counts = ", ".join(f"{name} {s['passed']}" for name, s in suites.items())
        return f"passed all tests ({counts})"
    if status == "no_code":
        return "no_code: the reply holds no program"
    if status == "syntax_error":
        return f"syntax_error: {extra.get('syntax_error') or _first_error(suites)}"
    if status == "refused":
        return "refused"
    failed = next((s for s in suites.values() if s["status"] != "passed"), None)
    if failed is None:
        return f"{status}: the tests did not run"
    failure = failed.get("failure") or {}
    parts = [f"{status}: {failure.get('test', failed['name'])}"]
    if "input" in failure:
        parts.append(f"input {cut(_one_line(failure['input']), 120)}")
    if "expected" in failure:
        parts.append(f"expected {cut(_one_line(failure['expected']), 80)}")
    if "actual" in failure:
        parts.append(f"got {cut(_one_line(failure['actual']), 80)}")
    error = _last_line(failure.get("error", ""))
    if error and error not in parts[-1]:
        parts.append(cut(error, 160))
    return "; ".join(parts)


def _first_error(suites: dict[str, dict[str, Any]]) -> str:
    for suite in suites.values():
        if suite.get("failure"):
            return _last_line(suite["failure"].get("error", ""))
    return ""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _imports(isolation: str, module: str) -> bool:
    """Whether a program in the sandbox can import `module` (once per process and module)."""
    key = (isolation, module)
    if key not in _IMPORTABLE:
        source = f"import {module}"
        try:
            result = asyncio.run(Sandbox(isolation=isolation).run(source))  # type: ignore[arg-type]
        except SandboxError:
            result = None
        _IMPORTABLE[key] = result is not None and result.ok
    return _IMPORTABLE[key]
