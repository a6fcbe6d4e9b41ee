"""AIME 2025, 30 problems in two subsets, AveragePass@1 over --llm-repeats."""

import pytest


@pytest.mark.llm_benchmark("aime25")
def test_aime25(llm_eval):
    llm_eval.check()
