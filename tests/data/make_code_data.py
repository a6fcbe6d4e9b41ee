# ruff: noqa: E501 (problem texts)
"""Writes the code benchmarks' test data: our own small problems in each hub copy's schema.

    python tests/data/make_code_data.py

Nothing here is taken from the real sets. HumanEval+ and MBPP+ rows carry a ``test`` shaped as
EvalPlus generates it (numpy's allclose for floats, a loop over base and plus inputs with
expected outputs computed from the canonical solution) and the original-style tests (asserts);
LiveCodeBench rows are spread over the hub's six files, with stdin and functional problems,
several contest dates and difficulties, private tests as plain JSON or, as in the real set,
base64(zlib(pickle(JSON))). Expected outputs come from running our reference solutions here.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import pickle
import sys
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

EVALPLUS_AUX = """import numpy as np

def is_floats(x) -> bool:
    # a float, or a non-empty list or tuple of floats
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    if isinstance(x, np.ndarray):
        return x.dtype == np.float64 or x.dtype == np.float32
    return False


def assertion(out, exp, atol):
    exact_match = out == exp

    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact_match and atol != 0:
        assert np.allclose(out, exp, rtol=1e-07, atol=atol)
    else:
        assert exact_match
"""

# -- HumanEval+ ---------------------------------------------------------------------------------
HUMANEVAL = [
    {
        "entry_point": "sum_of_squares",
        "prompt": 'from typing import List\n\n\ndef sum_of_squares(numbers: List[int]) -> int:\n    """ Return the sum of the squares of the numbers.\n    >>> sum_of_squares([1, 2, 3])\n    14\n    >>> sum_of_squares([])\n    0\n    """\n',
        "canonical_solution": "    return sum(n * n for n in numbers)\n",
        "base": [([1, 2, 3],), ([],), ([-4],)],
        "plus": [([0, 0, 5],), ([10**6, -(10**6)],), (list(range(50)),)],
    },
    {
        "entry_point": "reverse_words",
        "prompt": 'def reverse_words(text: str) -> str:\n    """ Reverse the order of the words of text; words are separated by single spaces.\n    >>> reverse_words("hello big world")\n    \'world big hello\'\n    """\n',
        "canonical_solution": '    return " ".join(reversed(text.split(" ")))\n',
        "base": [("hello big world",), ("one",)],
        "plus": [("",), ("a b",), ("x y z w",)],
    },
    {
        "entry_point": "mean_value",
        "prompt": 'from typing import List\n\n\ndef mean_value(values: List[float]) -> float:\n    """ The arithmetic mean of a non-empty list of numbers.\n    >>> mean_value([1.0, 2.0, 4.0])\n    2.3333333333333335\n    """\n',
        "canonical_solution": "    return sum(values) / len(values)\n",
        "base": [([1.0, 2.0, 4.0],), ([5.0],)],
        "plus": [([0.1, 0.2, 0.3],), ([1e-9, 2e-9],), ([-1.5, 1.5, 3.25],)],
    },
    {
        "entry_point": "is_palindrome_number",
        "prompt": 'def is_palindrome_number(n: int) -> bool:\n    """ Whether the decimal digits of the non-negative n read the same backwards.\n    >>> is_palindrome_number(121)\n    True\n    >>> is_palindrome_number(10)\n    False\n    """\n',
        "canonical_solution": "    return str(n) == str(n)[::-1]\n",
        "base": [(121,), (10,), (7,)],
        "plus": [(0,), (1001,), (1000021,), (123454321,)],
    },
    {
        "entry_point": "running_max",
        "prompt": 'from typing import List\n\n\ndef running_max(values: List[int]) -> List[int]:\n    """ The largest value seen so far, at each position.\n    >>> running_max([1, 3, 2, 5, 4])\n    [1, 3, 3, 5, 5]\n    """\n',
        "canonical_solution": "    result, best = [], None\n    for value in values:\n        best = value if best is None or value > best else best\n        result.append(best)\n    return result\n",
        "base": [([1, 3, 2, 5, 4],), ([],)],
        "plus": [([-5, -7, -1],), ([2, 2, 2],), (list(range(20, 0, -1)),)],
    },
]


def _run(source: str, entry: str, args: tuple) -> Any:
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # our own reference solutions
    return namespace[entry](*args)


def _dedup(inputs: list, results: list) -> tuple[list, list]:
    seen, kept_inputs, kept_results = set(), [], []
    for inp, res in zip(inputs, results):
        if repr(inp) not in seen:
            seen.add(repr(inp))
            kept_inputs.append(list(inp))
            kept_results.append(res)
    return kept_inputs, kept_results


def humaneval_rows() -> tuple[list[dict], list[dict]]:
    plus_rows, base_rows = [], []
    for number, problem in enumerate(HUMANEVAL):
        task_id, entry = f"HumanEval/{number}", problem["entry_point"]
        source = problem["prompt"] + problem["canonical_solution"]
        inputs = problem["base"] + problem["plus"]
        results = [_run(source, entry, args) for args in inputs]
        inputs, results = _dedup(inputs, results)
        test = (
            f"{EVALPLUS_AUX}\n\ndef check(candidate):\n    inputs = {inputs!r}\n"
            f"    results = {results!r}\n"
            "    for i, (inp, exp) in enumerate(zip(inputs, results)):\n"
            "        assertion(candidate(*inp), exp, 0)\n"
        )
        plus_rows.append(
            {
                "task_id": task_id,
                "prompt": problem["prompt"],
                "canonical_solution": problem["canonical_solution"],
                "entry_point": entry,
                "test": test,
            }
        )
        asserts = "".join(
            f"    assert {_assert_call('candidate', args, _run(source, entry, args))}\n"
            for args in problem["base"]
        )
        base_rows.append(
            {
                "task_id": task_id,
                "prompt": problem["prompt"],
                "canonical_solution": problem["canonical_solution"],
                "test": f"\n\nMETADATA = {{'author': 'pytest-llmeval', 'dataset': 'test'}}\n\n\n"
                f"def check(candidate):\n{asserts}\n",
                "entry_point": entry,
            }
        )
    return plus_rows, base_rows


def _assert_call(function: str, args: tuple, expected: Any) -> str:
    call = f"{function}({', '.join(map(repr, args))})"
    if isinstance(expected, float):
        return f"abs({call} - {expected!r}) < 1e-6"
    return f"{call} == {expected!r}"


# -- MBPP+ ----------------------------------------------------------------------------------------
MBPP = [
    {
        "task_id": 901,
        "prompt": "Write a function to find the shared elements of two tuples, as a tuple.",
        "entry": "shared_items",
        "code": "def shared_items(first, second):\n    return tuple(sorted(set(first) & set(second)))\n",
        "base": [((3, 4, 5, 6), (5, 7, 4, 10)), ((1, 2), (3, 4))],
        "plus": [((), (1,)), ((9, 9, 8), (8, 9))],
        "wrap": "set",
    },
    {
        "task_id": 902,
        "prompt": "Write a python function to check whether a number is a perfect square.",
        "entry": "is_perfect_square",
        "code": "import math\n\ndef is_perfect_square(n):\n    return n >= 0 and math.isqrt(n) ** 2 == n\n",
        "base": [(16,), (14,), (0,)],
        "plus": [(1,), (10**12,), (10**12 + 1,), (-4,)],
        "imports": ["import math"],
    },
    {
        "task_id": 903,
        "prompt": "Write a function to compute the area of a circle of radius r.",
        "entry": "circle_area",
        "code": "import math\n\ndef circle_area(r):\n    return math.pi * r * r\n",
        "base": [(1,), (2.5,)],
        "plus": [(0,), (1e-3,), (100,)],
    },
    {
        "task_id": 904,
        "prompt": "Write a function to remove the vowels from a string.",
        "entry": "remove_vowels",
        "code": "def remove_vowels(text):\n    return ''.join(c for c in text if c.lower() not in 'aeiou')\n",
        "base": [("hello",), ("AEIOU",), ("python",)],
        "plus": [("",), ("Queue",), ("rhythm",)],
    },
]


def mbpp_rows() -> list[dict]:
    rows = []
    for problem in MBPP:
        entry, code = problem["entry"], problem["code"]
        inputs = problem["base"] + problem["plus"]
        results = [_run(code, entry, args) for args in inputs]
        inputs, results = _dedup(inputs, results)
        tests = []
        for args in problem["base"]:
            expected = _run(code, entry, args)
            if problem.get("wrap"):
                wrap = problem["wrap"]
                tests.append(
                    f"assert {wrap}({entry}({', '.join(map(repr, args))})) == {wrap}({expected!r})"
                )
            elif isinstance(expected, float):
                tests.append(
                    f"assert math.isclose({entry}({', '.join(map(repr, args))}), {expected!r}, rel_tol=0.001)"
                )
            else:
                tests.append(f"assert {_assert_call(entry, args, expected)}")
        imports = problem.get("imports", [])
        if any("math." in test for test in tests) and "import math" not in imports:
            imports = [*imports, "import math"]
        test = (
            f"import numpy as np\nfrom math import inf\n\n{EVALPLUS_AUX}\n\n"
            f"inputs = {inputs!r}\nresults = {results!r}\n"
            "for i, (inp, exp) in enumerate(zip(inputs, results)):\n"
            f"    assertion({entry}(*inp), exp, 0)\n"
        )
        rows.append(
            {
                "task_id": problem["task_id"],
                "code": code,
                "prompt": problem["prompt"],
                "source_file": "pytest-llmeval tests",
                "test_imports": imports,
                "test_list": tests,
                "test": test,
            }
        )
    return rows


# -- LiveCodeBench --------------------------------------------------------------------------------
LCB = [
    {
        "file": "test.jsonl",
        "question_id": "abc900_a",
        "question_title": "Add Two Numbers",
        "platform": "atcoder",
        "contest_id": "abc900",
        "contest_date": "2023-05-20T00:00:00",
        "difficulty": "easy",
        "question_content": "You are given two integers A and B on one line. Print A + B.\n\nConstraints\n- -10^9 <= A, B <= 10^9",
        "solution": "a, b = map(int, input().split())\nprint(a + b)\n",
        "public": ["1 2\n", "-5 5\n"],
        "private": ["1000000000 1000000000\n", "0 0\n", "-7 3\n"],
        "compressed": False,
    },
    {
        "file": "test.jsonl",
        "question_id": "abc901_b",
        "question_title": "Distinct Values",
        "platform": "atcoder",
        "contest_id": "abc901",
        "contest_date": "2023-08-12T00:00:00",
        "difficulty": "medium",
        "question_content": "The first line holds N, the second N integers. Print how many distinct values there are, then the distinct values in increasing order on one line.",
        "solution": "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nvalues = sorted(set(map(int, data[1:1 + n])))\nprint(len(values))\nprint(*values)\n",
        "public": ["5\n3 1 3 2 1\n"],
        "private": ["1\n42\n", "6\n-1 -1 -2 0 0 5\n", "4\n7 7 7 7\n"],
        "compressed": True,
    },
    {
        "file": "test2.jsonl",
        "question_id": "1900_A",
        "question_title": "Best Segment",
        "platform": "codeforces",
        "contest_id": "1900",
        "contest_date": "2023-11-25T00:00:00",
        "difficulty": "hard",
        "question_content": "The first line holds T. Each test case is a line with N and a line of N integers. For each, print the largest sum of a non-empty contiguous segment.",
        "solution": "def main():\n    t = int(input())\n    for _ in range(t):\n        input()\n        best, current = None, 0\n        for value in map(int, input().split()):\n            current = max(value, current + value)\n            best = current if best is None else max(best, current)\n        print(best)\n\n\nif __name__ == '__main__':\n    main()\n",
        "public": ["2\n3\n1 -2 3\n2\n-1 -2\n"],
        "private": ["1\n5\n2 -1 2 -1 2\n", "3\n1\n-9\n4\n1 2 3 4\n3\n5 -10 5\n"],
        "compressed": True,
    },
    {
        "file": "test2.jsonl",
        "question_id": "3901",
        "question_title": "pair-with-target-sum",
        "platform": "leetcode",
        "contest_id": "weekly-contest-383",
        "contest_date": "2024-02-03T00:00:00",
        "difficulty": "easy",
        "question_content": "Given an integer array nums and an integer target, return the indices [i, j] with i < j of the first pair (in order of j, then i) whose values add up to target.",
        "starter_code": "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n        ",
        "func_name": "pairIndices",
        "solution": "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for j, value in enumerate(nums):\n            if target - value in seen:\n                return (seen[target - value], j)\n            seen.setdefault(value, j)\n        return []\n",
        "public": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6]],
        "private": [[[3, 3], 6], [[1, 2, 3], 100], [[0, 4, 3, 0], 0]],
        "compressed": True,
    },
    {
        "file": "test3.jsonl",
        "question_id": "3902",
        "question_title": "longest-equal-run",
        "platform": "leetcode",
        "contest_id": "weekly-contest-402",
        "contest_date": "2024-06-15T00:00:00",
        "difficulty": "medium",
        "question_content": "Given a string s, return the length of its longest run of equal consecutive characters.",
        "starter_code": "class Solution:\n    def longestRun(self, s: str) -> int:\n        ",
        "func_name": "longestRun",
        "solution": "class Solution:\n    def longestRun(self, s: str) -> int:\n        return max((len(list(g)) for _, g in groupby(s)), default=0)\n",
        "public": [["aabbbc"], ["z"]],
        "private": [["abc"], ["kkkkkkk"], ["aabbaaa"]],
        "compressed": False,
    },
    {
        "file": "test4.jsonl",
        "question_id": "3903",
        "question_title": "cheapest-grid-path",
        "platform": "leetcode",
        "contest_id": "weekly-contest-417",
        "contest_date": "2024-09-28T00:00:00",
        "difficulty": "hard",
        "question_content": "Given an m x n grid of non-negative costs, return the least total cost of a path from the top-left to the bottom-right cell moving only right or down (both ends counted).",
        "starter_code": "class Solution:\n    def minPathCost(self, grid: List[List[int]]) -> int:\n        ",
        "func_name": "minPathCost",
        "solution": "class Solution:\n    def minPathCost(self, grid: List[List[int]]) -> int:\n        m, n = len(grid), len(grid[0])\n        best = [[0] * n for _ in range(m)]\n        for i in range(m):\n            for j in range(n):\n                before = [best[i - 1][j]] * (i > 0) + [best[i][j - 1]] * (j > 0)\n                best[i][j] = grid[i][j] + (min(before) if before else 0)\n        return best[-1][-1]\n",
        "public": [[[[1, 3, 1], [1, 5, 1], [4, 2, 1]]]],
        "private": [[[[5]]], [[[1, 2, 3], [4, 5, 6]]], [[[0, 9, 9], [0, 0, 9], [9, 0, 0]]]],
        "compressed": True,
    },
    {
        "file": "test5.jsonl",
        "question_id": "abc902_c",
        "question_title": "Average Speed",
        "platform": "atcoder",
        "contest_id": "abc902",
        "contest_date": "2025-01-11T00:00:00",
        "difficulty": "medium",
        "question_content": "Given a distance D and a time T (integers, T > 0) on one line, print D / T. Your answer is judged exact as a decimal number.",
        "solution": "d, t = map(int, input().split())\nprint(f'{d / t:.6f}')\n",
        "reference": "d, t = map(int, input().split())\nprint(d / t)\n",
        "public": ["1 2\n", "9 3\n"],
        "private": ["7 4\n", "0 5\n"],
        "compressed": False,
    },
    {
        "file": "test6.jsonl",
        "question_id": "3904",
        "question_title": "is-strictly-increasing",
        "platform": "leetcode",
        "contest_id": "weekly-contest-440",
        "contest_date": "2025-03-08T00:00:00",
        "difficulty": "easy",
        "question_content": "Given an integer array nums, return true if every element is larger than the one before it.",
        "starter_code": "class Solution:\n    def isIncreasing(self, nums: List[int]) -> bool:\n        ",
        "func_name": "isIncreasing",
        "solution": "class Solution:\n    def isIncreasing(self, nums: List[int]) -> bool:\n        return all(a < b for a, b in pairwise(nums))\n",
        "public": [[[1, 2, 3]], [[1, 1]]],
        "private": [[[5]], [[3, 2, 1]], [[-3, 0, 10**9]]],
        "compressed": True,
    },
]

LCB_PRELUDE = "from collections import *\nfrom itertools import *\nfrom typing import *\n"


def _stdin_output(source: str, text: str) -> str:
    out = io.StringIO()
    real_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(text)
        with contextlib.redirect_stdout(out):
            exec(source, {"__name__": "__main__"})  # our own reference solutions
    finally:
        sys.stdin = real_stdin
    return out.getvalue()


def _call_output(source: str, name: str, args: list) -> str:
    namespace: dict[str, Any] = {}
    exec(LCB_PRELUDE + source, namespace)  # our own reference solutions
    result = getattr(namespace["Solution"](), name)(*args)
    return json.dumps(list(result) if isinstance(result, tuple) else result)


def _encode(tests: list[dict]) -> str:
    """LiveCodeBench's encoding of private tests."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("ascii")


def lcb_rows() -> tuple[dict[str, list[dict]], dict[str, str]]:
    files: dict[str, list[dict]] = {f"test{n if n > 1 else ''}.jsonl": [] for n in range(1, 7)}
    solutions = {}
    for problem in LCB:
        name = problem.get("func_name")
        reference = problem.get("reference", problem["solution"])

        def test(given: Any, name: str | None = name, reference: str = reference) -> dict:
            if name is None:
                return {
                    "input": given,
                    "output": _stdin_output(reference, given),
                    "testtype": "stdin",
                }
            text = "\n".join(json.dumps(arg) for arg in given)
            return {
                "input": text,
                "output": _call_output(reference, name, given),
                "testtype": "functional",
            }

        public = [test(given) for given in problem["public"]]
        private = [test(given) for given in problem["private"]]
        files[problem["file"]].append(
            {
                "question_title": problem["question_title"],
                "question_content": problem["question_content"],
                "platform": problem["platform"],
                "question_id": problem["question_id"],
                "contest_id": problem["contest_id"],
                "contest_date": problem["contest_date"],
                "starter_code": problem.get("starter_code", ""),
                "difficulty": problem["difficulty"],
                "public_test_cases": json.dumps(public),
                "private_test_cases": _encode(private)
                if problem["compressed"]
                else json.dumps(private),
                "metadata": json.dumps({"func_name": name} if name else {}),
            }
        )
        solutions[problem["question_id"]] = problem["solution"]
    return files, solutions


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def main() -> None:
    plus, base = humaneval_rows()
    _write_jsonl(HERE / "humaneval_plus" / "humanevalplus.jsonl", plus)
    _write_jsonl(HERE / "humaneval_plus" / "humaneval.jsonl", base)
    _write_jsonl(HERE / "mbpp_plus" / "mbppplus.jsonl", mbpp_rows())
    files, solutions = lcb_rows()
    for name, rows in files.items():
        _write_jsonl(HERE / "live_code_bench" / name, rows)
    (HERE / "live_code_bench" / "solutions.json").write_text(json.dumps(solutions, indent=1) + "\n")


if __name__ == "__main__":
    main()
