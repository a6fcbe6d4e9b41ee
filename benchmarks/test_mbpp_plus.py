"""MBPP+ (EvalPlus), 378 problems: base and plus tests on the model's code, sandboxed."""

import pytest


@pytest.mark.llm_benchmark("mbpp_plus")
def test_mbpp_plus(llm_eval):
    llm_eval.check()
