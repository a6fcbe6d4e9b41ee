import pytest


@pytest.mark.llm_benchmark("exact_match")
def test_exact_match(llm_eval):
    llm_eval.check()
