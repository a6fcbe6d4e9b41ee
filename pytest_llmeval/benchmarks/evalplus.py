"""EvalPlus: HumanEval+ (164 problems) and MBPP+ (378), each with base and plus tests.

Data: the hub copies EvalPlus publishes in the original benchmarks' format,
``evalplus/humanevalplus`` (task_id, prompt, canonical_solution, entry_point, test) and
``evalplus/mbppplus`` (task_id, code, prompt, source_file, test_imports, test_list, test). Their
``test`` is EvalPlus's generated harness over the base and the plus inputs together (expected
outputs from the canonical solution, EvalPlus's float tolerance and special oracles): passing it
is the "plus" result. The base tests are those EvalPlus took its base inputs from:

- MBPP+: the original MBPP asserts, ``test_list`` with ``test_imports``, in the same rows;
- HumanEval+: the original HumanEval tests (``check(candidate)``), from ``openai/openai_humaneval``
  joined on task_id (locally: a folder with humanevalplus.jsonl and humaneval.jsonl).

EvalPlus's own release files carry ``base_input``/``plus_input`` and compute expected outputs by
running the canonical solution; the hub copies carry the outputs already, and the original tests
are what those base inputs came from, so this needs no extra run and no copy of EvalPlus's
per-task input decoders. As in EvalPlus, "plus" counts a sample that passes base and plus tests.

Prompt: EvalPlus's instruction for chat models (``evalplus.codegen``: the instruction prefix,
then the task's prompt in a python block); the program is the reply's code after EvalPlus's
``sanitize`` (its entry point and what it reaches), run without the prompt prepended, as EvalPlus
runs a chat model's solution. Limits as EvalPlus's: 4 s per test input (its minimum), 60 s per
task, 4 GB of memory.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..data import TABLE_SUFFIXES, DataError, pick, read_hub, read_table
from ..records import Sample, SampleRecord
from ..sandbox import Sandbox
from ..scoring.code import extract_code, sanitize
from ..scoring.code_tests import SuiteResult, check_suite
from .base import Rows, pass_at_k_metrics, pass_at_k_names
from .code_base import CodeBenchmark

INSTRUCTION = (
    "Please provide a self-contained Python script that solves the following problem in a "
    "markdown code block:"
)
BASE_METRIC = "AveragePass@1(base)"
CASE_S = 4.0  # EvalPlus's DEFAULT_MIN_TIME_LIMIT per test input
TASK_S = 60.0  # EvalPlus's cap on a task's tests (EVALPLUS_TIMEOUT_PER_TASK)
_MBPP_ENTRY = re.compile(r"assertion\(\s*(\w+)\(\*inp\)")


def evalplus_prompt(task_prompt: str) -> str:
    return f"{INSTRUCTION}\n```python\n{task_prompt.strip()}\n```"


class EvalPlusBenchmark(CodeBenchmark):
    """Base and plus suites, plus counting only when base passed too."""

    metrics: ClassVar[tuple[str, ...]] = ("AveragePass@1", BASE_METRIC)
    needs_numpy = True
    call_check: ClassVar[bool] = True
    """The tests define ``check(candidate)``, called with the entry point (HumanEval)."""

    @property
    def derived(self) -> tuple[str, ...]:  # type: ignore[override]
        return pass_at_k_names(self.repeats) + pass_at_k_names(self.repeats, "(base)")

    def program(self, sample: Sample, reply: str) -> str:
        entry = sample.meta["entry_point"]
        return sanitize(extract_code(reply, entry_point=entry), entry)

    async def run_suites(self, sample: Sample, program: str, sandbox: Sandbox) -> list[SuiteResult]:
        entry = sample.meta["entry_point"]
        call = entry if self.call_check else None
        base = await check_suite(
            sandbox, "base", program, sample.meta["base_test"], cases="asserts", call=call,
            case_s=CASE_S, limits=self.limits(wall_s=TASK_S / 3, cpu_s=TASK_S / 3),
        )  # fmt: skip
        if not base.ok:
            return [base]
        plus = await check_suite(
            sandbox, "plus", program, sample.meta["plus_test"], cases="loop", call=call,
            case_s=CASE_S, limits=self.limits(wall_s=TASK_S + 2, cpu_s=TASK_S + 2),
        )  # fmt: skip
        return [base, plus]

    def suite_metrics(self, suites: dict[str, dict[str, Any]]) -> dict[str, float]:
        base = suites.get("base", {}).get("status") == "passed"
        plus = base and suites.get("plus", {}).get("status") == "passed"
        return {"AveragePass@1": float(plus), BASE_METRIC: float(base)}

    def aggregate(self, records: Sequence[SampleRecord]) -> dict[str, float]:
        values = super().aggregate(records)
        return values | pass_at_k_metrics(
            records, lambda record: record.metrics.get(BASE_METRIC, 0.0) >= 1.0, "(base)"
        )


def _table(folder: Path, stems: Sequence[str]) -> Path | None:
    """The table file in `folder` named one of `stems` (case-insensitively)."""
    wanted = {stem.lower() for stem in stems}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in TABLE_SUFFIXES and path.stem.lower() in wanted:
            return path
    return None


class HumanEvalPlus(EvalPlusBenchmark):
    name = "humaneval_plus"
    hub_path = "evalplus/humanevalplus"
    base_hub_path = "openai/openai_humaneval"
    data_help = (
        "a folder with humanevalplus.jsonl (evalplus/humanevalplus: task_id, prompt, "
        "canonical_solution, entry_point, test) and humaneval.jsonl (openai/openai_humaneval: "
        "task_id, test, the original tests)"
    )

    def read_rows(self, source: str | None) -> Rows:
        if source is None:
            plus = read_hub(self.hub_path, None, self.hub_split)
            base = read_hub(self.base_hub_path, None, self.hub_split)
        else:
            folder = Path(source)
            if not folder.is_dir():
                raise DataError(f"{folder}: expected a folder ({self.data_help})")
            plus_file = _table(folder, ("humanevalplus", "HumanEvalPlus"))
            base_file = _table(folder, ("humaneval", "openai_humaneval"))
            if plus_file is None or base_file is None:
                lacking = "humanevalplus" if plus_file is None else "humaneval"
                raise DataError(f"{folder} lacks {lacking}.jsonl ({self.data_help})")
            plus, base = read_table(plus_file), read_table(base_file)
        originals = {str(pick(row, ("task_id",), "task_id")): row for row in base}
        rows = []
        for row in plus:
            task_id = str(pick(row, ("task_id",), "task_id"))
            if task_id not in originals:
                raise DataError(f"{task_id} has no original HumanEval tests ({self.data_help})")
            rows.append({**row, "base_test": pick(originals[task_id], ("test",), "test")})
        return {self.subsets[0]: rows} if rows else {}

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        task_id = str(pick(row, ("task_id",), "task_id"))
        prompt = str(pick(row, ("prompt",), "prompt"))
        return Sample(
            id=task_id.replace("/", "-"),
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": evalplus_prompt(prompt)}],
            target=prompt + str(row.get("canonical_solution", "")),
            category=self.category(subset),
            meta={
                "task_id": task_id,
                "entry_point": str(pick(row, ("entry_point",), "entry_point")),
                "plus_test": str(pick(row, ("test",), "test")),
                "base_test": str(row["base_test"]),
            },
        )


class MbppPlus(EvalPlusBenchmark):
    name = "mbpp_plus"
    hub_path = "evalplus/mbppplus"
    call_check = False
    data_help = (
        "a JSONL file in the schema of evalplus/mbppplus (task_id, code, prompt, test_imports, "
        "test_list, test)"
    )

    def read_rows(self, source: str | None) -> Rows:
        """The hub copy, or a file, or a folder holding mbppplus.jsonl."""
        if source is not None and Path(source).is_dir():
            found = _table(Path(source), ("mbppplus", "MbppPlus", self.subsets[0]))
            if found is None:
                raise DataError(f"{source} holds no mbppplus.jsonl ({self.data_help})")
            source = str(found)
        return super().read_rows(source)

    def sample(self, subset: str, index: int, row: dict[str, Any]) -> Sample:
        task_id = str(pick(row, ("task_id",), "task_id")).removeprefix("Mbpp/")
        test_list = [str(test) for test in pick(row, ("test_list",), "test_list")]
        if not test_list:
            raise DataError(f"Mbpp/{task_id} has an empty test_list")
        given = row.get("test_imports")
        imports = [str(line) for line in (given if given is not None else [])]
        plus_test = str(pick(row, ("test",), "test"))
        text = str(pick(row, ("prompt", "text"), "prompt"))
        if not text.lstrip().startswith('"""'):  # EvalPlus's MBPP+ prompt: text and one test
            text = f'"""\n{text}\n{test_list[0]}\n"""\n'
        return Sample(
            id=f"Mbpp-{task_id}",
            dataset=self.name,
            subset=subset,
            messages=[{"role": "user", "content": evalplus_prompt(text)}],
            target=row.get("code"),
            category=self.category(subset),
            meta={
                "task_id": f"Mbpp/{task_id}",
                "entry_point": row.get("entry_point") or mbpp_entry_point(plus_test, test_list),
                "plus_test": plus_test,
                "base_test": "\n".join([*imports, *test_list]) + "\n",
            },
        )


def mbpp_entry_point(plus_test: str, test_list: Sequence[str]) -> str:
    """The function MBPP's tests call: named in EvalPlus's harness, else the first call in the
    first assert of a name that is not a builtin."""
    found = _MBPP_ENTRY.findall(plus_test)
    if found:
        return found[-1]
    try:
        tree = ast.parse(test_list[0])
    except SyntaxError:
        raise DataError(f"cannot parse the test {test_list[0][:80]!r}") from None
    for node in ast.walk(tree):
        called = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if called and not hasattr(builtins, node.func.id):
            return node.func.id
    raise DataError(f"no function call in the test {test_list[0][:80]!r}")
