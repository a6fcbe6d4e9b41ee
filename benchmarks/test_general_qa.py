"""Your own question/answer data (--llm-data general_qa=FILE), scored by --llm-general-scorer."""

import pytest


@pytest.mark.llm_benchmark("general_qa")
def test_general_qa(llm_eval):
    llm_eval.check()
