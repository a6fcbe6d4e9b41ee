"""SimpleQA, graded by an LLM judge (--llm-judge-model)."""

import pytest


@pytest.mark.llm_benchmark("simple_qa")
def test_simple_qa(llm_eval):
    llm_eval.check()
