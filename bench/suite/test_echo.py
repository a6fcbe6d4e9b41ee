import pytest


@pytest.mark.llm_benchmark("echo")
def test_echo(llm_eval):
    llm_eval.check()
