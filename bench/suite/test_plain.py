"""Plain pytest items, for pytest's own per-item cost (the baseline of the overhead figure)."""

import os

import pytest


@pytest.mark.parametrize("i", range(int(os.environ.get("PLAIN_ITEMS", "2000"))))
def test_plain(i):
    assert i >= 0
