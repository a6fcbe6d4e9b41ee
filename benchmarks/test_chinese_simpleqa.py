"""Chinese SimpleQA, six subsets, graded by an LLM judge (--llm-judge-model)."""

import pytest


@pytest.mark.llm_benchmark("chinese_simpleqa")
def test_chinese_simpleqa(llm_eval):
    llm_eval.check()
