"""Your own multiple-choice data (--llm-data general_mcq=FILE), scored by the answer letter."""

import pytest


@pytest.mark.llm_benchmark("general_mcq")
def test_general_mcq(llm_eval):
    llm_eval.check()
