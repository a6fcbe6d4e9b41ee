"""Options → RunConfig: types, precedence (CLI, ini, environment, default), secrets, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_llmeval.benchmarks import REGISTRY
from pytest_llmeval.config import RunConfig, build_run_config, mask_secrets

ENV_VARS = (
    "LLM_MODEL",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "LLM_JUDGE_MODEL",
    "LLM_JUDGE_API_KEY",
)


@pytest.fixture
def run_config(pytester, monkeypatch):
    """build_run_config over a fresh pytest config of the given arguments, with a clean env."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)

    def build(*args: str) -> RunConfig:
        return build_run_config(pytester.parseconfig(*args), REGISTRY.options())

    return build


def test_defaults(run_config):
    run = run_config()
    assert not run.active
    assert (run.endpoint.model, run.endpoint.base_url, run.endpoint.api_key) == (None, None, None)
    assert run.endpoint.generation == {}
    assert (run.limit, run.repeats, run.timeout, run.retries) == (None, 1, 600.0, 5)
    assert (run.stream, run.ignore_errors, run.concurrency) == (False, False, 32)
    assert run.output == Path("llmeval_results")
    assert run.cache_path == Path(".llmeval_cache/responses.sqlite3")
    assert (run.thresholds, run.max_error_rate, run.data) == ((), 0.0, {})
    assert run.judge.generation == {"temperature": 0.0, "max_tokens": 4096}


def test_the_seeds_generation_config_from_the_command_line(run_config):
    run = run_config(
        "--llm-model=qwen3-coder-plus",
        "--llm-temperature=0.7",
        "--llm-top-p=0.8",
        "--llm-top-k=20",
        "--llm-repetition-penalty=1.05",
        "--llm-max-tokens=65536",
        "--llm-parallel-tool-calls=true",
        "--llm-seed=7",
        "--llm-extra-body=enable_thinking=false",
        "--llm-extra-body",
        'chat_template_kwargs={"a": [1, 2]}',
        "--llm-extra-body=mode=fast",
    )
    assert run.active
    assert run.endpoint.generation == {
        "temperature": 0.7,
        "top_p": 0.8,
        "top_k": 20,
        "repetition_penalty": 1.05,
        "max_tokens": 65536,
        "seed": 7,
        "parallel_tool_calls": True,
        "enable_thinking": False,
        "chat_template_kwargs": {"a": [1, 2]},
        "mode": "fast",
    }
    assert type(run.endpoint.generation["top_k"]) is int


def test_run_options(run_config):
    run = run_config(
        "--llm-limit=50",
        "--llm-repeats=3",
        "--llm-timeout=2.5",
        "--llm-retries=0",
        "--llm-stream",
        "--llm-ignore-errors",
        "--llm-concurrency=8",
        "--llm-output=out",
        "--llm-data=aime25=tests/data/aime25",
        "--llm-data",
        "bfcl_v3 = /data/bfcl ",
        "--llm-no-cache",
        "--llm-threshold=aime25=0.5",
        "--llm-threshold=aime25:AIME2025-I=0.6",
        "--llm-max-error-rate=0.05",
    )
    assert (run.limit, run.repeats, run.timeout, run.retries) == (50, 3, 2.5, 0)
    assert (run.stream, run.ignore_errors, run.concurrency) == (True, True, 8)
    assert run.output == Path("out")
    assert run.data == {"aime25": "tests/data/aime25", "bfcl_v3": "/data/bfcl"}
    assert run.cache_path is None
    assert run.thresholds == ("aime25=0.5", "aime25:AIME2025-I=0.6")
    assert run.max_error_rate == 0.05


def test_precedence_cli_then_ini_then_environment(run_config, pytester, monkeypatch):
    monkeypatch.setenv("LLM_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env/v1")
    assert run_config().endpoint.model == "from-env"
    pytester.makeini(
        """
        [pytest]
        llm_model = from-ini
        llm_limit = 4
        llm_stream = true
        llm_threshold =
            aime25=0.5
            aime25:AIME2025-II=0.2
        """
    )
    run = run_config()
    assert (run.endpoint.model, run.endpoint.base_url) == ("from-ini", "http://env/v1")
    assert (run.limit, run.stream) == (4, True)
    assert run.thresholds == ("aime25=0.5", "aime25:AIME2025-II=0.2")
    run = run_config("--llm-model=from-cli", "--llm-limit=2", "--llm-base-url=http://cli/v1")
    assert (run.endpoint.model, run.endpoint.base_url, run.limit) == (
        "from-cli",
        "http://cli/v1",
        2,
    )


def test_api_key_from_environment_or_flag_never_in_repr(run_config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-secret")
    run = run_config("--llm-model=m")
    assert run.endpoint.api_key == "sk-env-secret"
    assert run.judge.api_key == "sk-env-secret"  # the judge falls back to the model's key
    assert "sk-env-secret" not in repr(run)
    assert run.endpoint.public()["api_key"] == "***"
    run = run_config("--llm-model=m", "--llm-api-key=sk-flag-secret")
    assert run.endpoint.api_key == "sk-flag-secret"
    assert "sk-flag-secret" not in repr(run)
    assert "sk-flag-secret" not in str(run.endpoint.public())


def test_judge_defaults_to_the_model_endpoint(run_config, monkeypatch):
    run = run_config("--llm-base-url=http://m/v1", "--llm-api-key=k1", "--llm-judge-model=j")
    assert (run.judge.model, run.judge.base_url, run.judge.api_key) == ("j", "http://m/v1", "k1")
    monkeypatch.setenv("LLM_JUDGE_API_KEY", "k2")
    run = run_config(
        "--llm-base-url=http://m/v1",
        "--llm-api-key=k1",
        "--llm-judge-base-url=http://j/v1",
        "--llm-judge-temperature=0.3",
        "--llm-judge-max-tokens=100",
    )
    assert (run.judge.base_url, run.judge.api_key) == ("http://j/v1", "k2")
    assert run.judge.generation == {"temperature": 0.3, "max_tokens": 100}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-limit=abc"], "--llm-limit: expected a number, got 'abc'"),
        (["--llm-limit=0"], "--llm-limit: must be >= 1, got '0'"),
        (["--llm-repeats=0"], "--llm-repeats: must be >= 1, got '0'"),
        (["--llm-repeats=2.5"], "--llm-repeats: expected a number, got '2.5'"),
        (["--llm-timeout=soon"], "--llm-timeout: expected a number, got 'soon'"),
        (["--llm-timeout=0"], "--llm-timeout: must be >= 0.001, got '0'"),
        (["--llm-retries=-1"], "--llm-retries: must be >= 0, got '-1'"),
        (["--llm-concurrency=0"], "--llm-concurrency: must be >= 1, got '0'"),
        (["--llm-max-error-rate=lots"], "--llm-max-error-rate: expected a number, got 'lots'"),
        (["--llm-temperature=hot"], "--llm-temperature: expected a number, got 'hot'"),
        (["--llm-max-tokens=1e3"], "--llm-max-tokens: expected a number, got '1e3'"),
        (
            ["--llm-parallel-tool-calls=maybe"],
            "--llm-parallel-tool-calls: expected true or false, got 'maybe'",
        ),
        (["--llm-data=aime25"], "--llm-data: expected NAME=VALUE, got 'aime25'"),
        (["--llm-data==path"], "--llm-data: expected NAME=VALUE, got '=path'"),
        (["--llm-extra-body=x"], "--llm-extra-body: expected NAME=VALUE, got 'x'"),
        (["--llm-bfcl-mode=xml"], "--llm-bfcl-mode: expected fc or prompt, got 'xml'"),
    ],
)
def test_bad_values_are_one_line_usage_errors(run_config, args, message):
    with pytest.raises(pytest.UsageError) as raised:
        run_config(*args)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("argv", "masked"),
    [
        (
            ["-q", "--llm-api-key", "sk-1", "--llm-model=m"],
            ["-q", "--llm-api-key", "***", "--llm-model=m"],
        ),
        (
            ["--llm-api-key=sk-1", "--llm-judge-api-key=sk-2"],
            ["--llm-api-key=***", "--llm-judge-api-key=***"],
        ),
        (["--llm-judge-api-key", "sk-2", "x"], ["--llm-judge-api-key", "***", "x"]),
        (["--llm-model", "sk-not-a-key"], ["--llm-model", "sk-not-a-key"]),
    ],
)
def test_mask_secrets(argv, masked):
    assert mask_secrets(argv) == masked
