"""IFEval, 541 prompts with verifiable instructions, prompt- and instruction-level accuracy."""

import pytest


@pytest.mark.llm_benchmark("ifeval")
def test_ifeval(llm_eval):
    llm_eval.check()
