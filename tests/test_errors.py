"""Usage errors stop the run before any sample: one clear line, exit code 4, no traceback."""

from __future__ import annotations

import pytest

from tests.conftest import AIME_MODULE, aime_oracle

USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def assert_usage_error(run, line: str, server=None) -> None:
    """Exit 4, `line` printed as one whole line, no traceback, no call made."""
    assert run.ret == USAGE_ERROR, run.text
    assert line in run.result.outlines + run.result.errlines, run.text
    assert "Traceback" not in run.text
    assert "INTERNALERROR" not in run.text
    if server is not None:
        assert server.requests == []


@pytest.fixture
def oracle(serve):
    return serve(aime_oracle)


def test_unknown_benchmark(oracle, llmeval):
    module = AIME_MODULE.replace('"aime25"', '"aime52"')
    run = llmeval(oracle.base_url, module=module)
    known = (  # + the example pack
        "aime25, bfcl_v3, chinese_simpleqa, exact_match, humaneval_plus, live_code_bench, "
        "mbpp_plus, simple_qa"
    )
    assert_usage_error(run, f"pytest-llmeval: unknown benchmark 'aime52' (known: {known})", oracle)
    assert (
        run.result.outlines.count(f"pytest-llmeval: unknown benchmark 'aime52' (known: {known})")
        == 1
    )


@pytest.mark.parametrize(
    ("threshold", "line"),
    [
        (
            "aime25:AIME2025-III=0.5",
            "ERROR: --llm-threshold 'aime25:AIME2025-III=0.5': 'AIME2025-III' is neither a metric "
            "(AveragePass@1) nor a subset (AIME2025-I, AIME2025-II, OVERALL) of aime25",
        ),
        (
            "aime25:Accuracy:OVERALL=0.5",
            "ERROR: --llm-threshold 'aime25:Accuracy:OVERALL=0.5': unknown metric or subset of "
            "aime25 (metrics: AveragePass@1; subsets: AIME2025-I, AIME2025-II, OVERALL)",
        ),
        (
            "aime25>0.5",
            "ERROR: --llm-threshold 'aime25>0.5': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        (
            "aime25=50%",
            "ERROR: --llm-threshold 'aime25=50%': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        (
            "aime24=0.5",
            "ERROR: --llm-threshold 'aime24=0.5': unknown benchmark 'aime24' "
            "(known: aime25, bfcl_v3, chinese_simpleqa, exact_match, humaneval_plus, "
            "live_code_bench, mbpp_plus, simple_qa)",
        ),
    ],
)
def test_bad_threshold(oracle, llmeval, threshold, line):
    run = llmeval(oracle.base_url, f"--llm-threshold={threshold}")
    assert_usage_error(run, line, oracle)


def test_pass_at_k_threshold_needs_the_repeats(oracle, llmeval):
    run = llmeval(oracle.base_url, "--llm-threshold=aime25:pass@3=0.5")
    assert_usage_error(
        run,
        "ERROR: --llm-threshold 'aime25:pass@3=0.5': 'pass@3' is neither a metric "
        "(AveragePass@1) nor a subset (AIME2025-I, AIME2025-II, OVERALL) of aime25",
        oracle,
    )
    ok = llmeval(oracle.base_url, "--llm-threshold=aime25:pass@3=0.5", "--llm-repeats=3", "-q")
    assert ok.ret == 0


def test_missing_data(oracle, llmeval, pytester):
    missing = pytester.path / "nowhere"
    run = llmeval(oracle.base_url, f"--llm-data=aime25={missing}")
    assert_usage_error(run, f"pytest-llmeval: aime25: no such file or folder: {missing}", oracle)


def test_malformed_data_file(oracle, llmeval, pytester):
    bad = pytester.path / "aime.jsonl"
    bad.write_text('{"question": "q", "answer": "1"}\n{"question": "q2", answer: 2}\n')
    run = llmeval(oracle.base_url, f"--llm-data=aime25={bad}")
    line = (
        f"pytest-llmeval: aime25: cannot read {bad}:2: "
        "Expecting property name enclosed in double quotes"
    )
    assert_usage_error(run, line, oracle)


def test_data_without_the_expected_fields(oracle, llmeval, pytester):
    bad = pytester.path / "AIME2025-I.jsonl"
    bad.write_text('{"prompt": "q", "answer": "1"}\n')
    run = llmeval(oracle.base_url, f"--llm-data=aime25={bad}")
    line = (
        "pytest-llmeval: aime25: row has no question field "
        "(looked for question, problem, Problem; has prompt, answer)"
    )
    assert_usage_error(run, line, oracle)


def test_data_folder_without_subset_files(oracle, llmeval, pytester):
    folder = pytester.mkdir("empty")
    (folder / "notes.txt").write_text("nothing here")
    run = llmeval(oracle.base_url, f"--llm-data=aime25={folder}")
    line = (
        f"pytest-llmeval: aime25: {folder} holds no subset file "
        "(expected one of: AIME2025-I.jsonl, AIME2025-II.jsonl)"
    )
    assert_usage_error(run, line, oracle)


def test_unreachable_server(llmeval, unused_port):
    url = f"http://127.0.0.1:{unused_port}/v1"
    run = llmeval(url)
    assert_usage_error(
        run, f"ERROR: cannot reach the model server at {url}: [Errno 111] Connection refused"
    )
    assert not any(" passed" in line or " failed" in line for line in run.result.outlines)


def test_wrong_api_key(serve, llmeval):
    server = serve(aime_oracle, api_key="sk-right")
    run = llmeval(server.base_url, "--llm-api-key=sk-wrong")
    assert_usage_error(
        run,
        f"ERROR: model server {server.base_url} rejected the API key "
        "(HTTP 401: Incorrect API key provided)",
        server,
    )
    assert "sk-wrong" not in run.text
    assert llmeval(server.base_url, "--llm-api-key=sk-right", "--llm-limit=1").ret == 0


@pytest.mark.parametrize(
    ("flag", "line"),
    [
        ("--llm-limit=abc", "ERROR: --llm-limit: expected a number, got 'abc'"),
        ("--llm-repeats=0", "ERROR: --llm-repeats: must be >= 1, got '0'"),
        ("--llm-concurrency=many", "ERROR: --llm-concurrency: expected a number, got 'many'"),
        ("--llm-max-error-rate=5%", "ERROR: --llm-max-error-rate: expected a number, got '5%'"),
        ("--llm-temperature=warm", "ERROR: --llm-temperature: expected a number, got 'warm'"),
    ],
)
def test_bad_numeric_flag(oracle, llmeval, flag, line):
    run = llmeval(oracle.base_url, flag)
    assert_usage_error(run, line, oracle)


def test_a_broken_test_module_still_says_why(oracle, llmeval, pytester):
    """The plugin turns tracebacks off (one line per wrong answer); import errors stay visible."""
    pytester.makepyfile(test_broken="import not_a_module_anywhere\n")
    run = llmeval(oracle.base_url)
    assert run.ret == int(pytest.ExitCode.INTERRUPTED)
    assert "E   ModuleNotFoundError: No module named 'not_a_module_anywhere'" in run.result.outlines
    assert oracle.requests == []


def test_a_threshold_without_a_model_is_a_usage_error(pytester):
    result = pytester.runpytest_inprocess("--llm-threshold=aime25=0.5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--llm-threshold needs a model (--llm-model or --llm-serve)" in result.stderr.str()


def test_a_usage_error_at_start_leaves_no_empty_run_folder(pytester, unused_port):
    output = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        "--llm-model=m",
        f"--llm-base-url=http://127.0.0.1:{unused_port}/v1",
        f"--llm-output={output}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert not output.exists() or not any(output.iterdir())
