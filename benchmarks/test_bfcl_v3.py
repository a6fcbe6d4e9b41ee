"""BFCL v3, all 17 subsets (--llm-bfcl-mode fc|prompt); data from the bfcl-eval package."""

import pytest


@pytest.mark.llm_benchmark("bfcl_v3")
def test_bfcl_v3(llm_eval):
    llm_eval.check()
