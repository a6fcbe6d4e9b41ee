"""Helpers of the code benchmarks' tests: our data, replies that give a program, process checks."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import DATA, last_user_text
from tests.scripted_server import Reply

ROOT = Path(__file__).resolve().parents[1]
HUMANEVAL_DATA = DATA / "humaneval_plus"
MBPP_DATA = DATA / "mbpp_plus"
LCB_DATA = DATA / "live_code_bench"


def module(name: str) -> str:
    return (ROOT / "benchmarks" / f"test_{name}.py").read_text()


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@cache
def lcb_solutions() -> dict[str, str]:
    return json.loads((LCB_DATA / "solutions.json").read_text())


def fenced(code: str) -> str:
    return f"Here is the program.\n\n```python\n{code}\n```\n"


def by_problem(keys: dict[str, str], choose: Callable[[str], str | Reply]) -> Callable:
    """A server handler: finds which problem a request asks (the text `keys` maps to a
    problem id appears in its last user message) and sends `choose(problem_id)`."""

    def handler(request: dict) -> Reply:
        text = last_user_text(request)
        found = [problem for key, problem in keys.items() if key in text]
        assert len(found) == 1, f"not one of our problems: {text[:120]!r}"
        reply = choose(found[0])
        return reply if isinstance(reply, Reply) else Reply(text=reply)

    return handler


def humaneval_keys() -> dict[str, str]:
    return {
        row["prompt"].strip(): row["task_id"].replace("/", "-")
        for row in rows(HUMANEVAL_DATA / "humanevalplus.jsonl")
    }


def humaneval_solutions() -> dict[str, str]:
    return {
        row["task_id"].replace("/", "-"): row["prompt"] + row["canonical_solution"]
        for row in rows(HUMANEVAL_DATA / "humanevalplus.jsonl")
    }


def mbpp_keys() -> dict[str, str]:
    return {row["prompt"]: f"Mbpp-{row['task_id']}" for row in rows(MBPP_DATA / "mbppplus.jsonl")}


def mbpp_solutions() -> dict[str, str]:
    return {f"Mbpp-{row['task_id']}": row["code"] for row in rows(MBPP_DATA / "mbppplus.jsonl")}


def lcb_keys() -> dict[str, str]:
    return {
        row["question_content"]: row["question_id"]
        for path in sorted(LCB_DATA.glob("test*.jsonl"))
        for row in rows(path)
    }


def descendants() -> list[int]:
    """Our process's descendants, from /proc: every program the sandbox ran is one of them."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [os.getpid()]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["sample_id"]: record for record in records}
