"""HumanEval+ through the plugin: our problems in the hub schema, programs run in the sandbox.

The scripted server plays the model: the canonical solutions must score 1.0 on base and plus,
wrong programs fail for the named reason, hostile ones are contained and the run goes on.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pytest_llmeval.benchmarks import code_base
from pytest_llmeval.benchmarks.evalplus import INSTRUCTION, HumanEvalPlus
from pytest_llmeval.data import DataError
from pytest_llmeval.sandbox import check_available
from tests.code_helpers import (
    HUMANEVAL_DATA,
    by_id,
    by_problem,
    descendants,
    fenced,
    humaneval_keys,
    humaneval_solutions,
    module,
    rows,
)

PROBLEM = check_available()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
MODULE = module("humaneval_plus")
DATA_ARG = f"--llm-data=humaneval_plus={HUMANEVAL_DATA}"
IDS = [f"HumanEval-{n}" for n in range(5)]


def run_humaneval(llmeval, server, *args: str):
    return llmeval(server.base_url, DATA_ARG, *args, module=MODULE)


# -- data and prompts (no sandbox) ---------------------------------------------------------------
def test_samples_carry_evalplus_prompt_and_both_suites():
    samples = HumanEvalPlus().load(str(HUMANEVAL_DATA))
    assert [s.id for s in samples] == IDS
    first, row = samples[0], rows(HUMANEVAL_DATA / "humanevalplus.jsonl")[0]
    assert first.messages == [
        {
            "role": "user",
            "content": f"{INSTRUCTION}\n```python\n{row['prompt'].strip()}\n```",
        }
    ]
    assert first.meta["entry_point"] == "sum_of_squares"
    assert first.meta["plus_test"] == row["test"]
    assert "assert candidate([1, 2, 3]) == 14" in first.meta["base_test"]
    assert first.target == row["prompt"] + row["canonical_solution"]


def test_the_original_tests_are_needed(tmp_path):
    (tmp_path / "humanevalplus.jsonl").write_text(
        (HUMANEVAL_DATA / "humanevalplus.jsonl").read_text()
    )
    with pytest.raises(DataError, match=r"lacks humaneval\.jsonl"):
        HumanEvalPlus().load(str(tmp_path))
    (tmp_path / "humaneval.jsonl").write_text(
        (HUMANEVAL_DATA / "humaneval.jsonl").read_text().splitlines()[0] + "\n"
    )
    with pytest.raises(DataError, match="HumanEval/1 has no original HumanEval tests"):
        HumanEvalPlus().load(str(tmp_path))


def test_the_program_is_the_sanitized_reply():
    sample = HumanEvalPlus().load(str(HUMANEVAL_DATA))[0]
    reply = (
        "Sure.\n```python\nfrom typing import List\n\n\ndef helper(n):\n    return n * n\n\n\n"
        "def sum_of_squares(numbers: List[int]) -> int:\n    return sum(map(helper, numbers))\n\n\n"
        "print(sum_of_squares([1, 2]))\nx = input()\n```\nDone."
    )
    assert HumanEvalPlus().program(sample, reply) == (
        "from typing import List\ndef helper(n):\n    return n * n\n"
        "def sum_of_squares(numbers: List[int]) -> int:\n    return sum(map(helper, numbers))"
    )


# -- through the plugin -------------------------------------------------------------------------
@needs_sandbox
def test_canonical_solutions_score_one(serve, llmeval):
    solutions = humaneval_solutions()
    server = serve(by_problem(humaneval_keys(), lambda task: fenced(solutions[task])))
    run = run_humaneval(llmeval, server)
    assert run.ret == 0, run.text
    assert run.rows() == [
        ("AveragePass@1", "default", 5, 1.0, 0),
        ("AveragePass@1", "OVERALL", 5, 1.0, 0),
        ("AveragePass@1(base)", "default", 5, 1.0, 0),
        ("AveragePass@1(base)", "OVERALL", 5, 1.0, 0),
    ]
    records = by_id(run.samples())
    first = records["HumanEval-0"]
    assert first["passed"] and first["reason"] == "passed all tests (base 3, plus 6)"
    extra = first["extra"]
    assert (extra["sandbox"], extra["status"]) == ("bwrap", "passed")
    assert "def sum_of_squares" in extra["program"] == first["extracted"]
    assert [extra["tests"][s]["passed"] for s in ("base", "plus")] == [3, 6]
    for suite in extra["tests"].values():
        assert suite["failure"] is None and suite["exit_code"] == 0
        assert suite["wall_s"] > 0 and suite["cpu_s"] > 0 and suite["max_rss_kb"] > 1000


WRONG = {
    # right on the base inputs, wrong on a plus one (numbers of a million)
    "HumanEval-0": "def sum_of_squares(numbers):\n"
    "    return sum(n * n for n in numbers if abs(n) < 1000)\n",
    "HumanEval-1": "def reverse_words(text)\n    return text\n",
    "HumanEval-2": "I am sorry, I cannot write that function.",
    "HumanEval-3": "def is_palindrome_number(n):\n    while True:\n        pass\n    return True\n",
    "HumanEval-4": "def running_max(values):\n"
    "    return [max(values[:i]) for i in range(len(values))]\n",
}


@needs_sandbox
def test_wrong_programs_fail_for_the_named_reason(serve, llmeval, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")

    def reply(task: str) -> str:
        wrong = WRONG[task]
        return fenced(wrong) if "def " in wrong else wrong

    server = serve(by_problem(humaneval_keys(), reply))
    run = run_humaneval(llmeval, server)
    assert run.ret == 1, run.text
    run.result.assert_outcomes(failed=5)
    assert run.rows() == [
        ("AveragePass@1", "default", 5, 0.0, 0),
        ("AveragePass@1", "OVERALL", 5, 0.0, 0),
        ("AveragePass@1(base)", "default", 5, 0.2, 0),
        ("AveragePass@1(base)", "OVERALL", 5, 0.2, 0),
    ]
    records = by_id(run.samples())
    status = {task: records[task]["extra"]["status"] for task in IDS}
    assert status == {
        "HumanEval-0": "failed",
        "HumanEval-1": "syntax_error",
        "HumanEval-2": "no_code",
        "HumanEval-3": "timeout",
        "HumanEval-4": "failed",
    }
    reasons = {task: records[task]["reason"] for task in IDS}
    assert reasons["HumanEval-0"] == (
        "failed: plus 5 (input #4); input [[1000000, -1000000]]; expected 2000000000000; got 0; "
        "AssertionError"
    )
    assert reasons["HumanEval-1"] == "syntax_error: line 1: expected ':'"
    assert reasons["HumanEval-2"] == "no_code: the reply holds no program"
    assert reasons["HumanEval-3"].startswith("timeout: base 1 (tests line 7); input assert ")
    assert reasons["HumanEval-3"].endswith("Timeout: ran over the time limit of 4s")
    assert reasons["HumanEval-4"].startswith(
        "failed: base 1 (tests line 7); input assert candidate"
    )
    assert "got raised ValueError: max() arg is an empty sequence" in reasons["HumanEval-4"]
    plus_failure = records["HumanEval-0"]["extra"]["tests"]["plus"]["failure"]
    assert plus_failure["test"] == "plus 5 (input #4)"
    assert (plus_failure["expected"], plus_failure["actual"]) == ("2000000000000", "0")
    assert records["HumanEval-0"]["extra"]["tests"]["plus"]["passed"] == 4
    assert "plus" not in records["HumanEval-4"]["extra"]["tests"]  # not run after base failed
    for task in ("HumanEval-1", "HumanEval-2"):
        line = f"FAILED test_bench_aime25.py::test_humaneval_plus[{task}] - Failed: {reasons[task]}"
        assert line in run.result.outlines


HOSTILE = {
    # reads the environment (a canary key is set in the harness's) and files outside the sandbox
    "HumanEval-0": (
        "import os\n\ndef sum_of_squares(numbers):\n"
        "    seen = dict(os.environ)\n"
        "    for path in ('/root/.ssh/id_rsa', '/etc/shadow', {checkout!r}):\n"
        "        try:\n            seen[path] = open(path).read()[:200]\n"
        "        except OSError as error:\n            seen[path] = str(error)\n"
        "    raise RuntimeError(repr(seen))\n    return 0\n"
    ),
    # a fork bomb
    "HumanEval-1": (
        "import os\n\ndef reverse_words(text):\n"
        "    while True:\n        os.fork()\n    return text\n"
    ),
    # leaves a process behind, then loops forever
    "HumanEval-2": (
        "import subprocess\n\ndef mean_value(values):\n"
        "    subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
        "    while True:\n        pass\n    return 0.0\n"
    ),
}


@needs_sandbox
def test_hostile_programs_are_contained(serve, llmeval, monkeypatch):
    canary = "sk-canary-4c1d3e5f"
    monkeypatch.setenv("OPENAI_API_KEY_CANARY", canary)
    checkout = str(HUMANEVAL_DATA / "humanevalplus.jsonl")
    solutions = humaneval_solutions()

    def reply(task: str) -> str:
        return fenced(
            HOSTILE[task].format(checkout=checkout) if task in HOSTILE else solutions[task]
        )

    before = set(descendants())
    server = serve(by_problem(humaneval_keys(), reply))
    run = run_humaneval(llmeval, server)
    assert run.ret == 1, run.text
    run.result.assert_outcomes(passed=2, failed=3)
    records = by_id(run.samples())
    reader = records["HumanEval-0"]["extra"]["tests"]["base"]["failure"]
    assert "RuntimeError" in reader["error"]
    assert "No such file or directory: '/root/.ssh/id_rsa'" in reader["error"]
    assert "No such file or directory: '/etc/shadow'" in reader["error"]
    assert f"No such file or directory: {checkout!r}" in reader["error"]
    assert "'PATH': '/usr/local/bin:/usr/bin:/bin'" in reader["error"]  # the emptied environment
    assert "CANARY" not in reader["error"]
    assert canary not in (run.run_dir / "samples.jsonl").read_text()
    assert records["HumanEval-1"]["extra"]["status"] in ("failed", "timeout")
    assert "BlockingIOError" in json.dumps(records["HumanEval-1"]["extra"]["tests"])
    assert records["HumanEval-2"]["extra"]["status"] == "timeout"
    assert records["HumanEval-2"]["reason"].endswith("Timeout: ran over the time limit of 4s")
    assert set(descendants()) <= before  # nothing of any program is left


@needs_sandbox
def test_repeats_give_pass_at_k_for_base_and_plus(serve, llmeval):
    asked: Counter[str] = Counter()
    solutions = humaneval_solutions()

    def reply(task: str) -> str:
        asked[task] += 1
        return fenced(solutions[task] if asked[task] == 1 else WRONG[task])

    server = serve(by_problem(humaneval_keys(), reply))
    run = run_humaneval(llmeval, server, "--llm-repeats=2", "--llm-limit=1")
    assert run.rows() == [
        ("AveragePass@1", "default", 2, 0.5, 0),
        ("AveragePass@1", "OVERALL", 2, 0.5, 0),
        ("AveragePass@1(base)", "default", 2, 1.0, 0),
        ("AveragePass@1(base)", "OVERALL", 2, 1.0, 0),
        ("pass@1", "default", 2, 0.5, 0),
        ("pass@1", "OVERALL", 2, 0.5, 0),
        ("pass@2", "default", 2, 1.0, 0),
        ("pass@2", "OVERALL", 2, 1.0, 0),
        ("pass@1(base)", "default", 2, 1.0, 0),
        ("pass@1(base)", "OVERALL", 2, 1.0, 0),
        ("pass@2(base)", "default", 2, 1.0, 0),
        ("pass@2(base)", "OVERALL", 2, 1.0, 0),
    ]


# -- the sandbox is mandatory -------------------------------------------------------------------
def test_without_the_sandbox_the_run_stops_with_one_line(serve, llmeval, monkeypatch):
    said = (
        "bubblewrap (bwrap) is not installed: apt-get install bubblewrap (dnf/pacman: bubblewrap)"
    )
    monkeypatch.setattr(code_base, "check_available", lambda: said)
    server = serve(by_problem(humaneval_keys(), lambda task: "unused"))
    run = run_humaneval(llmeval, server)
    assert run.ret == 4
    line = f"pytest-llmeval: humaneval_plus: {said} (or, with NO isolation, --llm-sandbox=none)"
    assert run.text.count(line) == 1, run.text
    assert not server.requests


def test_the_sandbox_option_takes_only_its_names(serve, llmeval):
    server = serve(by_problem(humaneval_keys(), lambda task: "unused"))
    run = run_humaneval(llmeval, server, "--llm-sandbox=docker")
    assert run.ret == 4
    assert "--llm-sandbox: expected bwrap or none, got 'docker'" in run.text


def test_no_isolation_only_by_name_with_a_warning(serve, llmeval, monkeypatch):
    monkeypatch.setattr(code_base, "check_available", lambda: "bwrap is broken here")
    solutions = humaneval_solutions()
    server = serve(by_problem(humaneval_keys(), lambda task: fenced(solutions[task])))
    run = run_humaneval(llmeval, server, "--llm-sandbox=none", "--llm-limit=1")
    assert run.ret == 0, run.text
    warning = f"pytest-llmeval WARNING: humaneval_plus: {code_base.UNSANDBOXED}"
    assert warning in run.result.outlines
    (record,) = run.samples()
    assert (record["extra"]["sandbox"], record["extra"]["status"]) == ("none", "passed")
    assert run.report()["meta"]["notices"] == [f"humaneval_plus: {code_base.UNSANDBOXED}"]


@needs_sandbox
def test_without_numpy_in_the_sandbox_the_run_stops_with_one_line(serve, llmeval, monkeypatch):
    monkeypatch.setattr(code_base, "_imports", lambda isolation, module: False)
    server = serve(by_problem(humaneval_keys(), lambda task: "unused"))
    run = run_humaneval(llmeval, server)
    assert run.ret == 4
    assert (
        "pytest-llmeval: humaneval_plus: the tests import numpy, which the sandbox's Python "
        "(/usr/bin/python3) cannot: apt-get install python3-numpy"
    ) in run.text


def test_the_hub_copies_are_joined_on_task_id(monkeypatch):
    from pytest_llmeval.benchmarks import evalplus

    files = {
        "evalplus/humanevalplus": HUMANEVAL_DATA / "humanevalplus.jsonl",
        "openai/openai_humaneval": HUMANEVAL_DATA / "humaneval.jsonl",
    }
    asked = []

    def read_hub(path: str, config: str | None, split: str) -> list[dict]:
        asked.append((path, config, split))
        return list(reversed(rows(files[path]))) if "openai" in path else rows(files[path])

    monkeypatch.setattr(evalplus, "read_hub", read_hub)
    from_hub = HumanEvalPlus().load(None)
    assert from_hub == HumanEvalPlus().load(str(HUMANEVAL_DATA))
    assert asked == [
        ("evalplus/humanevalplus", None, "test"),
        ("openai/openai_humaneval", None, "test"),
    ]


@needs_sandbox
def test_under_xdist_with_thresholds_on_both_metrics(serve, llmeval):
    solutions = humaneval_solutions()

    def reply(task: str) -> str:
        return fenced(WRONG[task] if task == "HumanEval-0" else solutions[task])

    server = serve(by_problem(humaneval_keys(), reply))
    run = llmeval(
        server.base_url, DATA_ARG, "-n", "2", "--llm-threshold", "humaneval_plus=0.8",
        "--llm-threshold", "humaneval_plus:AveragePass@1(base)=0.9",
        module=MODULE, subprocess=True,
    )  # fmt: skip
    assert run.ret == 0, run.text  # a wrong answer alone does not fail a gated run
    assert run.rows()[0] == ("AveragePass@1", "default", 5, 0.8, 0)
    assert run.rows()[2] == ("AveragePass@1(base)", "default", 5, 1.0, 0)
    assert "gate passed (2 thresholds)" in run.text
