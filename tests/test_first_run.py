"""What a newcomer sees on a long run: progress as samples finish, and the served model's
concurrency matched to its slots."""

from __future__ import annotations

import re

import pytest

from pytest_llmeval.benchmarks import REGISTRY
from pytest_llmeval.config import build_run_config
from pytest_llmeval.local.presets import CACHE_ENV_VAR, DEFAULT_PRESET, cache_dir
from tests.scripted_server import Reply
from tests.test_e2e_local import _not_set_up

NOT_SET_UP = _not_set_up()
REAL_CACHE = cache_dir()  # before pytester moves HOME


def test_a_long_run_shows_progress_as_samples_finish(serve, llmeval):
    server = serve(lambda request: Reply(text="So \\boxed{1}.", delay=0.4))
    run = llmeval(server.base_url, "--llm-progress=0.3", "--llm-concurrency=1", "--llm-limit=4")
    lines = [line for line in run.result.outlines if line.startswith("llmeval: ")]
    assert lines, run.text
    pattern = re.compile(
        r"llmeval: (\d+)/8 samples done, (\d) in flight, [\d.]+ tokens/s out, "
        r"\d+s elapsed, ETA (\d+s|\?)"
    )
    counts = []
    for line in lines:
        match = pattern.fullmatch(line)
        assert match, line
        counts.append(int(match.group(1)))
        assert int(match.group(2)) <= 2
    assert counts == sorted(counts) and counts[-1] < 8


def test_no_progress_line_when_turned_off(serve, llmeval):
    server = serve(lambda request: Reply(text="So \\boxed{1}.", delay=0.02))
    run = llmeval(server.base_url, "--llm-progress=0")
    assert not [line for line in run.result.outlines if line.startswith("llmeval: ")]


@pytest.mark.skipif(NOT_SET_UP is not None, reason=f"local model: {NOT_SET_UP}")
def test_a_served_model_gets_as_many_calls_as_it_has_slots(pytester, monkeypatch):
    monkeypatch.setenv(CACHE_ENV_VAR, str(REAL_CACHE))

    def concurrency(*args: str) -> int:
        config = pytester.parseconfig(f"--llm-serve={DEFAULT_PRESET}", *args)
        return build_run_config(config, REGISTRY.options()).concurrency

    assert concurrency() == 4
    assert concurrency("--llm-serve-slots=2") == 2
    assert concurrency("--llm-concurrency=16") == 16
