"""Running a real thin benchmark module (benchmarks/test_<name>.py) through the plugin against a
scripted server, in process: what the MCQ and IFEval tests share."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DATA, EvalRun, last_user_text
from tests.scripted_server import Reply

ROOT = Path(__file__).parents[1]


def run_benchmark(
    pytester: pytest.Pytester,
    base_url: str,
    name: str,
    *args: str,
    data: Path | None = None,
    output: str = "out",
) -> EvalRun:
    """`pytest benchmarks/test_<name>.py --llm-data <name>=DATA ...` in process; DATA defaults
    to tests/data/<name>, and `data=Path()` passes none (the hub)."""
    out = pytester.path / output
    data = DATA / name if data is None else data
    data_args = [f"--llm-data={name}={data}"] if data != Path() else []
    result = pytester.runpytest_inprocess(
        str(ROOT / "benchmarks" / f"test_{name}.py"),
        "-p",
        "no:cacheprovider",
        "--llm-model=scripted",
        f"--llm-base-url={base_url}",
        f"--llm-output={out}",
        "--llm-retries=0",
        *data_args,
        *args,
    )
    return EvalRun(result, out)


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def shown_letter(prompt: str, option_text: str, line: str = r"([A-J])\) (.*)") -> str:
    """The letter under which `option_text` is shown in `prompt` (options one per line)."""
    found = [m.group(1) for m in re.finditer(line, prompt) if m.group(2) == option_text]
    assert len(found) == 1, f"{option_text!r} is not shown once in the prompt"
    return found[0]


def answering(choose: Callable[[str], str]) -> Callable[[dict], Reply]:
    """A handler that sends `choose(prompt)` as the model's reply."""
    return lambda request: Reply(text=choose(last_user_text(request)))
