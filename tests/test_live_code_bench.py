"""LiveCodeBench: releases, the contest-date window, private tests decoded without running any
pickled code, LiveCodeBench's output rules, and the oracle and wrong programs through the plugin
(stdin and functional problems, public and compressed private tests)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import pickle
import zlib

import pytest

from pytest_llmeval.benchmarks.live_code_bench import (
    SYSTEM,
    LiveCodeBench,
    decode_tests,
    parse_date,
    question_prompt,
)
from pytest_llmeval.data import DataError
from pytest_llmeval.sandbox import check_available
from pytest_llmeval.scoring.code_tests import stdout_matches, value_matches
from tests.code_helpers import LCB_DATA, by_id, by_problem, fenced, lcb_keys, lcb_solutions, module

PROBLEM = check_available()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
MODULE = module("live_code_bench")
DATA_ARG = f"--llm-data=live_code_bench={LCB_DATA}"
# contest dates of our problems, one file each release adds
BY_RELEASE = {
    "release_v1": ["abc900_a", "abc901_b"],  # 2023-05-20, 2023-08-12
    "release_v2": ["1900_A", "3901"],  # 2023-11-25, 2024-02-03
    "release_v3": ["3902"],  # 2024-06-15
    "release_v4": ["3903"],  # 2024-09-28
    "release_v5": ["abc902_c"],  # 2025-01-11
    "release_v6": ["3904"],  # 2025-03-08
}


def lcb(**options: object) -> LiveCodeBench:
    values = {"llm_lcb_version": "release_latest", **options}
    return LiveCodeBench({k: v for k, v in values.items() if v is not None})


def ids(benchmark: LiveCodeBench, source: str | os.PathLike = LCB_DATA) -> set[str]:
    return {sample.id for sample in benchmark.load(str(source))}


# -- data --------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [f"release_v{n}" for n in range(1, 7)])
def test_a_release_is_the_files_up_to_it(version):
    number = int(version[-1])
    wanted = {q for v, found in BY_RELEASE.items() if int(v[-1]) <= number for q in found}
    assert ids(lcb(llm_lcb_version=version)) == wanted


def test_latest_is_v6_and_a_missing_file_is_named(tmp_path):
    assert ids(lcb()) == ids(lcb(llm_lcb_version="release_v6")) and len(ids(lcb())) == 8
    (tmp_path / "test.jsonl").write_text((LCB_DATA / "test.jsonl").read_text())
    assert ids(lcb(llm_lcb_version="release_v1"), tmp_path) == {"abc900_a", "abc901_b"}
    with pytest.raises(
        DataError, match=f"{tmp_path} lacks test2.jsonl, test3.jsonl for release_v3"
    ):
        lcb(llm_lcb_version="release_v3").load(str(tmp_path))
    assert ids(lcb(llm_lcb_version="release_v1"), tmp_path / "test.jsonl") == {
        "abc900_a",
        "abc901_b",
    }


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-06-15", None, {"3902", "3903", "abc902_c", "3904"}),  # on the day counts
        ("2024-06-16", None, {"3903", "abc902_c", "3904"}),
        (None, "2024-02-03", {"abc900_a", "abc901_b", "1900_A", "3901"}),  # inclusive
        (None, "2024-02-02", {"abc900_a", "abc901_b", "1900_A"}),
        ("2023-09-01", "2024-09-30", {"1900_A", "3901", "3902", "3903"}),
    ],
)
def test_the_contest_date_window(start, end, expected):
    window = {
        "llm_lcb_start_date": parse_date(start, "--llm-lcb-start-date"),
        "llm_lcb_end_date": parse_date(end, "--llm-lcb-end-date"),
    }
    assert ids(lcb(**window)) == expected


def test_a_window_that_keeps_nothing_or_is_backwards_is_one_line():
    late = lcb(llm_lcb_start_date=dt.datetime(2030, 1, 1))
    with pytest.raises(DataError, match="no problem of release_latest has a contest date from"):
        late.load(str(LCB_DATA))
    backwards = lcb(
        llm_lcb_start_date=dt.datetime(2025, 1, 1), llm_lcb_end_date=dt.datetime(2024, 1, 1)
    )
    with pytest.raises(
        DataError, match="--llm-lcb-start-date 2025-01-01 is after --llm-lcb-end-date"
    ):
        backwards.prepare()
    with pytest.raises(pytest.UsageError, match="expected a date YYYY-MM-DD, got '2024/01/01'"):
        parse_date("2024/01/01", "--llm-lcb-start-date")


def test_difficulty_is_the_subset_and_prompts_are_lcbs():
    samples = {s.id: s for s in lcb().load(str(LCB_DATA))}
    assert [s.subset for s in samples.values()] == ["easy"] * 3 + ["medium"] * 3 + ["hard"] * 2
    text = {problem: question for question, problem in lcb_keys().items()}
    stdin, functional = samples["abc900_a"], samples["3901"]
    assert stdin.messages == [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"### Question:\n{text['abc900_a']}\n\n### Format: Read the inputs from "
            "stdin solve the problem and write the answer to stdout (do not directly test on the "
            "sample inputs). Enclose your code within delimiters as follows.\n```python\n"
            "# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n",
        },
    ]
    starter = (
        "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n"
        "        "
    )
    assert functional.messages[1]["content"] == (
        f"### Question:\n{text['3901']}\n\n### Format: You will use the following starter code "
        "to write the solution to the problem and enclose your code within delimiters.\n"
        f"```python\n{starter}\n```\n\n### Answer: (use the provided format with backticks)\n\n"
    )
    assert functional.messages[1]["content"] == question_prompt(text["3901"], starter)
    assert (stdin.meta["fn_name"], functional.meta["fn_name"]) == (None, "pairIndices")
    assert [t.label for t in functional.meta["public"]] == ["public 1", "public 2"]


# -- private tests -------------------------------------------------------------------------------
def test_private_tests_decode_from_json_or_lcbs_encoding():
    tests = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    packed = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()
    assert decode_tests(json.dumps(tests)) == tests == decode_tests(packed)


class _Hostile:
    def __reduce__(self):
        return (os.system, ("touch /tmp/llmeval-pickle-ran",))


@pytest.mark.parametrize("payload", [_Hostile(), [{"input": "", "output": dt.date(2024, 1, 1)}]])
def test_a_pickle_that_would_run_code_is_refused(payload):
    marker = "/tmp/llmeval-pickle-ran"
    if os.path.exists(marker):
        os.remove(marker)
    packed = base64.b64encode(zlib.compress(pickle.dumps(payload))).decode()
    with pytest.raises(DataError, match="refused to load"):
        decode_tests(packed)
    assert not os.path.exists(marker)


def test_tests_that_are_neither_are_a_data_error():
    with pytest.raises(DataError, match="neither JSON nor LiveCodeBench's encoding"):
        decode_tests("not json, not base64 of zlib")
    packed = base64.b64encode(zlib.compress(pickle.dumps([1, 2]))).decode()
    with pytest.raises(DataError, match="decode to a list, not JSON text"):
        decode_tests(packed)


# -- LiveCodeBench's comparison ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        ("3\n", "3", True),
        ("  1 2  \n3\n\n", "1 2\n3", True),  # stripped lines
        ("0.5\n", "0.500000", True),  # equal as decimals
        ("1  2", "1 2", True),  # token by token
        ("1e1", "10", True),
        ("3\n4", "3", False),  # a line more
        ("0.5000001", "0.5", False),  # decimals are exact: no tolerance
        ("abc", "abd", False),
        ("nan", "NaN", False),  # not equal as text, and NaN equals nothing
    ],
)
def test_stdout_is_compared_as_livecodebench_does(actual, expected, same):
    assert stdout_matches(actual, expected)[0] is same


def test_returned_values_are_compared_as_json():
    assert value_matches("[1, 2]", "[1, 2]") == (True, "")
    assert value_matches("2.0", "2")[0] and not value_matches("[2, 1]", "[1, 2]")[0]
    assert value_matches(None, "[1]") == (False, "the returned value is not JSON")


# -- through the plugin -------------------------------------------------------------------------
@needs_sandbox
def test_reference_solutions_score_one(serve, llmeval):
    solutions = lcb_solutions()
    server = serve(by_problem(lcb_keys(), lambda question: fenced(solutions[question])))
    run = llmeval(server.base_url, DATA_ARG, module=MODULE)
    assert run.ret == 0, run.text
    assert run.rows() == [
        ("AveragePass@1", "easy", 3, 1.0, 0),
        ("AveragePass@1", "medium", 3, 1.0, 0),
        ("AveragePass@1", "hard", 2, 1.0, 0),
        ("AveragePass@1", "OVERALL", 8, 1.0, 0),
    ]
    records = by_id(run.samples())
    distinct = records["abc901_b"]["extra"]  # stdin, compressed private tests
    assert distinct["status"] == "passed" and distinct["contest_date"] == "2023-08-12T00:00:00"
    assert [r["test"] for r in distinct["tests"]["private"]["results"]] == [
        "private 1",
        "private 2",
        "private 3",
    ]
    assert (
        records["3901"]["reason"] == "passed all tests (public 2, private 3)"
    )  # a tuple for a list
    assert records["abc902_c"]["extra"]["tests"]["public"]["passed"] == 2  # "0.500000" is "0.5"
    assert {r["messages"][0]["role"] for r in records.values()} == {"system"}


WRONG = {
    # right on the public tests, wrong on a private one
    "abc900_a": "a, b = map(int, input().split())\nprint(a + b if abs(a) < 10**8 else 0)\n",
    "abc901_b": "import sys\nn = int(sys.stdin.readline())\nprint(undefined_name)\n",
    "3901": "class Solution:\n    def pairIndices(self, nums, target):\n        return [0, 0]\n",
}


@needs_sandbox
def test_wrong_programs_fail_for_the_named_reason_in_the_window(serve, llmeval):
    solutions = lcb_solutions()
    server = serve(by_problem(lcb_keys(), lambda q: fenced(WRONG.get(q, solutions[q]))))
    run = llmeval(
        server.base_url, DATA_ARG, "--llm-lcb-end-date=2024-02-03", "--llm-lcb-version=release_v2",
        module=MODULE,
    )  # fmt: skip
    assert run.ret == 1, run.text
    assert run.rows() == [
        ("AveragePass@1", "easy", 2, 0.0, 0),
        ("AveragePass@1", "medium", 1, 0.0, 0),
        ("AveragePass@1", "hard", 1, 1.0, 0),
        ("AveragePass@1", "OVERALL", 4, 0.25, 0),
    ]
    records = by_id(run.samples())
    assert records["abc900_a"]["reason"] == (
        "failed: private 1; input 1000000000 1000000000; expected 2000000000; got 0; "
        "wrong answer: line 1: '0' != '2000000000'"
    )
    assert [r["status"] for r in records["abc900_a"]["extra"]["tests"]["public"]["results"]] == [
        "passed",
        "passed",
    ]
    crashed = records["abc901_b"]["extra"]["tests"]["public"]["failure"]
    assert crashed["error"].endswith("NameError: name 'undefined_name' is not defined")
    assert records["abc901_b"]["reason"].startswith("failed: public 1; input 5 3 1 3 2 1;")
    assert records["3901"]["reason"] == (
        "failed: public 1; input [2, 7, 11, 15] 9; expected [0, 1]; got [0, 0]; "
        "wrong answer: the returned value differs"
    )
    assert "private" not in records["3901"]["extra"]["tests"]


def test_the_window_selects_the_items(serve, llmeval):
    server = serve(by_problem(lcb_keys(), lambda q: "unused"))
    run = llmeval(
        server.base_url, DATA_ARG, "--llm-lcb-start-date=2024-09-28", "--collect-only", "-q",
        module=MODULE,
    )  # fmt: skip
    assert run.ret == 0, run.text
    collected = [line for line in run.result.outlines if "::" in line]
    assert collected == [
        "test_bench_aime25.py::test_live_code_bench[3904]",
        "test_bench_aime25.py::test_live_code_bench[abc902_c]",
        "test_bench_aime25.py::test_live_code_bench[3903]",
    ]
    assert not server.requests


def test_the_hub_files_of_a_release_are_read_as_files(monkeypatch):
    """Without --llm-data each file of the release comes from the hub cache (no loading
    script runs); here the download is our folder."""
    import huggingface_hub

    asked = []

    def download(repo_id: str, filename: str, repo_type: str) -> str:
        asked.append((repo_id, filename, repo_type))
        return str(LCB_DATA / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    assert {s.id for s in lcb(llm_lcb_version="release_v2").load(None)} == {
        "abc900_a",
        "abc901_b",
        "1900_A",
        "3901",
    }
    assert asked == [
        ("livecodebench/code_generation_lite", "test.jsonl", "dataset"),
        ("livecodebench/code_generation_lite", "test2.jsonl", "dataset"),
    ]
