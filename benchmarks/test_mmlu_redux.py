"""MMLU-Redux 2.0, 57 subjects, questions annotated as erroneous left out and counted."""

import pytest


@pytest.mark.llm_benchmark("mmlu_redux")
def test_mmlu_redux(llm_eval):
    llm_eval.check()
