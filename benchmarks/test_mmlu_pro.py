"""MMLU-Pro, 12,032 questions in 14 subjects, the official 5-shot chain-of-thought prompt."""

import pytest


@pytest.mark.llm_benchmark("mmlu_pro")
def test_mmlu_pro(llm_eval):
    llm_eval.check()
