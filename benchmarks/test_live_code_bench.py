"""LiveCodeBench code generation, easy/medium/hard: public and private tests in the sandbox."""

import pytest


@pytest.mark.llm_benchmark("live_code_bench")
def test_live_code_bench(llm_eval):
    llm_eval.check()
