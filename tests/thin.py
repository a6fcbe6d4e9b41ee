"""Runs of a thin benchmark module (``benchmarks/test_<name>.py``, as users run it) inside
pytester against a scripted server, and handlers that answer our own data's questions."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import EvalRun, last_user_text
from tests.scripted_server import Reply

ROOT = Path(__file__).parents[1]
USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)
_outputs = itertools.count()

T = TypeVar("T")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def run_benchmark(pytester: pytest.Pytester, name: str, base_url: str, *args: str) -> EvalRun:
    """``pytest benchmarks/test_<name>.py --llm-model=scripted --llm-base-url=...`` in-process,
    with a fresh output folder and no response cache."""
    output = pytester.path / f"out{next(_outputs)}"
    result = pytester.runpytest_inprocess(
        str(ROOT / "benchmarks" / f"test_{name}.py"),
        "-p",
        "no:cacheprovider",
        "--llm-model=scripted",
        f"--llm-base-url={base_url}",
        f"--llm-output={output}",
        "--llm-no-cache",
        *args,
    )
    return EvalRun(result, output)


def asked(index: Mapping[str, T], request: dict[str, Any]) -> T:
    """The entry of `index` whose key (a question's text) the request's last user message
    holds; exactly one must match."""
    text = last_user_text(request)
    found = [value for key, value in index.items() if key in text]
    assert len(found) == 1, f"not one of our questions: {text[:80]!r}"
    return found[0]


def answering(
    index: Mapping[str, T], choose: Callable[[T], str | Reply]
) -> Callable[[dict[str, Any]], Reply]:
    """A server handler: `choose(entry)` for the question asked gives the text (or Reply)."""

    def handler(request: dict[str, Any]) -> Reply:
        reply = choose(asked(index, request))
        return reply if isinstance(reply, Reply) else Reply(text=reply)

    return handler


def rows_by_key(run: EvalRun) -> dict[tuple[str, str], tuple[int, float | None, int]]:
    """report.json rows as {(metric, subset): (num, score, errors)}."""
    return {(m, s): (n, score, e) for m, s, n, score, e in run.rows()}


def failure_lines(run: EvalRun) -> list[str]:
    return sorted(line for line in run.result.outlines if line.startswith("FAILED "))
