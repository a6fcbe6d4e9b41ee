"""HumanEval+ (EvalPlus), 164 problems: base and plus tests on the model's code, sandboxed."""

import pytest


@pytest.mark.llm_benchmark("humaneval_plus")
def test_humaneval_plus(llm_eval):
    llm_eval.check()
