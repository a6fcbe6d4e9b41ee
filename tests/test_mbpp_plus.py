"""MBPP+ through the plugin: our problems in the schema of evalplus/mbppplus, in the sandbox."""

from __future__ import annotations

import pytest

from pytest_llmeval.benchmarks.evalplus import INSTRUCTION, MbppPlus, mbpp_entry_point
from pytest_llmeval.data import DataError
from pytest_llmeval.sandbox import check_available
from tests.code_helpers import (
    MBPP_DATA,
    by_id,
    by_problem,
    fenced,
    mbpp_keys,
    mbpp_solutions,
    module,
    rows,
)

PROBLEM = check_available()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
MODULE = module("mbpp_plus")
DATA_ARG = f"--llm-data=mbpp_plus={MBPP_DATA}"


def test_samples_carry_evalplus_prompt_and_the_original_asserts():
    samples = MbppPlus().load(str(MBPP_DATA))
    assert [s.id for s in samples] == ["Mbpp-901", "Mbpp-902", "Mbpp-903", "Mbpp-904"]
    second, row = samples[1], rows(MBPP_DATA / "mbppplus.jsonl")[1]
    docstring = f'"""\n{row["prompt"]}\n{row["test_list"][0]}\n"""'
    assert second.messages == [
        {"role": "user", "content": f"{INSTRUCTION}\n```python\n{docstring}\n```"}
    ]
    assert second.meta["entry_point"] == "is_perfect_square"
    assert second.meta["base_test"] == "import math\n" + "\n".join(row["test_list"]) + "\n"
    assert second.meta["plus_test"] == row["test"]
    assert MbppPlus().load(str(MBPP_DATA / "mbppplus.jsonl"))[1] == second  # the file itself


def test_the_entry_point_comes_from_the_tests():
    assert mbpp_entry_point("x\n    assertion(find_max(*inp), exp, 0)\n", []) == "find_max"
    tests = ["assert set(similar(3, list((1, 2)))) == set((4, 5))"]
    assert mbpp_entry_point("no harness here", tests) == "similar"
    with pytest.raises(DataError, match="no function call"):
        mbpp_entry_point("", ["assert len([1]) == 1"])


@needs_sandbox
def test_canonical_solutions_score_one(serve, llmeval):
    solutions = mbpp_solutions()
    server = serve(by_problem(mbpp_keys(), lambda task: fenced(solutions[task])))
    run = llmeval(server.base_url, DATA_ARG, module=MODULE)
    assert run.ret == 0, run.text
    assert run.rows() == [
        ("AveragePass@1", "default", 4, 1.0, 0),
        ("AveragePass@1", "OVERALL", 4, 1.0, 0),
        ("AveragePass@1(base)", "default", 4, 1.0, 0),
        ("AveragePass@1(base)", "OVERALL", 4, 1.0, 0),
    ]
    tests = by_id(run.samples())["Mbpp-902"]["extra"]["tests"]
    assert (tests["base"]["passed"], tests["plus"]["passed"]) == (3, 7)


WRONG = {
    "Mbpp-902": (
        "import math\n\ndef is_perfect_square(n):\n    return n > 0 and math.isqrt(n) ** 2 == n\n"
    ),
    # within the base test's rel_tol of 0.001, outside EvalPlus's float tolerance
    "Mbpp-903": "def circle_area(r):\n    return 3.1416 * r * r\n",
    # right on the base inputs only
    "Mbpp-904": (
        "def remove_vowels(text):\n    if text.startswith('Q'):\n        return text\n"
        "    return ''.join(c for c in text if c.lower() not in 'aeiou')\n"
    ),
}


@needs_sandbox
def test_wrong_programs_fail_base_or_plus(serve, llmeval):
    solutions = mbpp_solutions()
    server = serve(by_problem(mbpp_keys(), lambda task: fenced(WRONG.get(task, solutions[task]))))
    run = llmeval(server.base_url, DATA_ARG, module=MODULE)
    assert run.ret == 1, run.text
    assert run.rows() == [
        ("AveragePass@1", "default", 4, 0.25, 0),
        ("AveragePass@1", "OVERALL", 4, 0.25, 0),
        ("AveragePass@1(base)", "default", 4, 0.75, 0),
        ("AveragePass@1(base)", "OVERALL", 4, 0.75, 0),
    ]
    records = by_id(run.samples())
    assert records["Mbpp-902"]["reason"] == (
        "failed: base 3 (tests line 4); input assert is_perfect_square(0) == True; got False; "
        "AssertionError"
    )
    area = records["Mbpp-903"]["extra"]["tests"]["plus"]["failure"]
    assert area["test"] == "plus 1 (input #0)"  # the base input, at EvalPlus's tolerance
    assert (area["input"], area["expected"], area["actual"]) == (
        "[1]",
        "3.141592653589793",
        "3.1416",
    )
    assert records["Mbpp-904"]["reason"].startswith(
        "failed: plus 5 (input #4); input ['Queue']; expected 'Q'; got 'Queue'"
    )
