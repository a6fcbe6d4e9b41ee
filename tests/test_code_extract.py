"""The program found in a reply, pinned on the shapes replies take."""

from __future__ import annotations

import pytest

from pytest_llmeval.scoring.code import extract_code, fenced_blocks, sanitize

SOLUTION = "def add(a, b):\n    return a + b"
WRONG = "def add(a, b):\n    c = a - b  # longer than the answer\n    return c"
STDIN_SUM = "import sys\nprint(sum(map(int, sys.stdin)))"


def fenced(code: str, tag: str = "python") -> str:
    return f"```{tag}\n{code}\n```"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(f"Here you go:\n{fenced(SOLUTION)}\nIt adds.", SOLUTION, id="one-block"),
        pytest.param(SOLUTION + "\n", SOLUTION, id="bare-code"),
        pytest.param(fenced(SOLUTION, ""), SOLUTION, id="untagged"),
        pytest.param(fenced(SOLUTION, "py"), SOLUTION, id="tag-py"),
        pytest.param(fenced(SOLUTION, "Python3"), SOLUTION, id="tag-case"),
        pytest.param(f"~~~python\n{SOLUTION}\n~~~", SOLUTION, id="tildes"),
        pytest.param(f"````python\n{SOLUTION}\n```\n````", f"{SOLUTION}\n```", id="long-fence"),
        pytest.param(
            "1. The code:\n   ```python\n   def add(a, b):\n       return a + b\n   ```",
            SOLUTION,
            id="indented-in-a-list",
        ),
        pytest.param(
            f"Run it:\n{fenced('pip install nothing', 'bash')}\n{fenced(SOLUTION)}",
            SOLUTION,
            id="other-language-ignored",
        ),
        pytest.param(
            f"Input:\n{fenced('3', '')}\nCode:\n{fenced(SOLUTION)}",
            SOLUTION,
            id="tagged-beats-untagged-sample",
        ),
        pytest.param(
            f"<think>maybe\n{fenced(WRONG)}\n</think>\n{fenced(SOLUTION)}",
            SOLUTION,
            id="reasoning-block-dropped",
        ),
        pytest.param(
            f"drafting {fenced(WRONG)}\n</think>{fenced(SOLUTION)}",
            SOLUTION,
            id="dangling-end-of-reasoning",
        ),
        pytest.param(
            f"{fenced(SOLUTION)}\n<think>and then I thought {fenced(WRONG)}",
            SOLUTION,
            id="unclosed-reasoning-after-the-answer",
        ),
        pytest.param("<think>still thinking when cut off", "", id="only-reasoning"),
        pytest.param(
            f"Draft:\n{fenced('print(1')}\nFixed:\n{fenced('print(1)')}",
            "print(1)",
            id="broken-block-skipped",
        ),
        pytest.param(
            f"{fenced('import sys')}\n{fenced(STDIN_SUM)}",
            STDIN_SUM,
            id="longest-without-entry-point",
        ),
        pytest.param(
            f"{fenced('print(2)')}\nBetter:\n{fenced('print(3)')}",
            "print(3)",
            id="tie-goes-to-the-last",
        ),
        pytest.param(
            f"Sure:\n```python\n{SOLUTION}\n",
            SOLUTION,
            id="cut-off-inside-its-fence",
        ),
        pytest.param(
            "The function is\n\nimport math\ndef add(a, b):\n    return a + b\n\nwhich adds.",
            f"import math\n{SOLUTION}",
            id="function-in-prose",
        ),
        pytest.param(
            "Use this\n@cache\ndef add(a, b):\n    return a + b\nDone, and\ndef broken(:\n  x",
            f"@cache\n{SOLUTION}",
            id="last-complete-function-with-decorator",
        ),
        pytest.param("I cannot solve this.", "I cannot solve this.", id="no-code-at-all"),
    ],
)
def test_extract_code(reply: str, expected: str) -> None:
    assert extract_code(reply) == expected


def test_the_entry_points_definition_beats_a_longer_usage_example() -> None:
    usage = "numbers = [(1, 2), (3, 4), (5, 6)]\nfor a, b in numbers:\n    print(add(a, b))"
    reply = f"{fenced(SOLUTION)}\nExample usage:\n{fenced(usage)}"
    assert extract_code(reply, entry_point="add") == SOLUTION
    assert extract_code(reply) == usage  # without the entry point: the longest block


def test_a_refined_definition_after_a_first_one_wins() -> None:
    refined = "def add(a, b):\n    # both ints\n    return int(a) + int(b)"
    reply = f"{fenced(SOLUTION)}\nMore robust:\n{fenced(refined)}\nOr in one line: `add`"
    assert extract_code(reply, entry_point="add") == refined


def test_the_entry_point_picks_its_function_out_of_prose() -> None:
    reply = (
        f"helper:\ndef other():\n    return 1\n\nmain:\n{SOLUTION}\n\nthen\ndef z():\n  return 2"
    )
    assert extract_code(reply, entry_point="add") == SOLUTION
    assert extract_code(reply) == "def z():\n  return 2"


def test_an_unclosed_block_is_no_block() -> None:
    assert fenced_blocks("```python\nx = 1\n```\n```python\ny = 2") == [
        fenced_blocks("```python\nx = 1\n```")[0]
    ]


def test_sanitize_keeps_what_the_entry_point_needs() -> None:
    code = """import math
from typing import List

SCALE = 2

def helper(x):
    return math.sqrt(x) * SCALE

def unused():
    return 0

def add(a: List[float]) -> float:
    return sum(helper(x) for x in a)

def add(a):
    return 'a second definition: the first one stays'

def main():
    print(add([4]))

print(add([1]))
if __name__ == "__main__":
    main()
assert add([4]) == 4
"""
    assert sanitize(code, "add") == (
        "import math\nfrom typing import List\nSCALE = 2\n"
        "def helper(x):\n    return math.sqrt(x) * SCALE\n"
        "def add(a: List[float]) -> float:\n    return sum(helper(x) for x in a)"
    )
    everything = sanitize(code)
    assert "def unused" in everything and "def main" not in everything  # no return: dropped
    assert "print(" not in everything and "__main__" not in everything


def test_sanitize_keeps_decorators_classes_and_leaves_broken_code_alone() -> None:
    code = (
        "import functools\n\nclass Box:\n    pass\n\n@functools.cache\ndef f(n):\n    return Box()"
    )
    assert sanitize(code, "f") == (
        "import functools\nclass Box:\n    pass\n@functools.cache\ndef f(n):\n    return Box()"
    )
    assert sanitize("def f(:\n", "f") == "def f(:\n"
