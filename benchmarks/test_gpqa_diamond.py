"""GPQA Diamond, 198 four-option science questions in a fixed shuffled order, AverageAccuracy."""

import pytest


@pytest.mark.llm_benchmark("gpqa_diamond")
def test_gpqa_diamond(llm_eval):
    llm_eval.check()
