"""Plain pytest items, for pytest's own costs: the baseline of the overhead figure, and the
floors that bench/harness.py and bench/aime_harness.py print beside their figures.

PLAIN_ITEMS sets the count; PLAIN_FAIL=1 fails every item as a wrong answer fails
(`pytest.fail(pytrace=False)`); the first item to run, in any process, writes the time to
LLMEVAL_BENCH_FIRST: all that comes before it (interpreter, imports, collection, xdist's
workers) must pass before any test could make a call.
"""

import os
import time

import pytest

FAIL = bool(os.environ.get("PLAIN_FAIL"))
_first = [os.environ.get("LLMEVAL_BENCH_FIRST")]


@pytest.mark.parametrize("i", range(int(os.environ.get("PLAIN_ITEMS", "2000"))))
def test_plain(i):
    if _first[0]:
        try:
            with open(_first[0], "x") as marker:  # the first process to get here wins
                marker.write(repr(time.time()))
        except FileExistsError:
            pass
        _first[0] = None
    if FAIL:
        pytest.fail(f"wrong answer {i}", pytrace=False)
