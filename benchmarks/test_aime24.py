"""AIME 2024, 30 problems, AveragePass@1 over --llm-repeats."""

import pytest


@pytest.mark.llm_benchmark("aime24")
def test_aime24(llm_eval):
    llm_eval.check()
