"""HMMT February 2025, 30 problems, AveragePass@1 over --llm-repeats."""

import pytest


@pytest.mark.llm_benchmark("hmmt25")
def test_hmmt25(llm_eval):
    llm_eval.check()
