"""MATH-500, 500 problems in five levels (or seven subjects), AveragePass@1 over --llm-repeats."""

import pytest


@pytest.mark.llm_benchmark("math_500")
def test_math_500(llm_eval):
    llm_eval.check()
