"""Benchmarks from elsewhere: an installed pack (entry point) and a conftest.py, each under
xdist and with thresholds, and the one-line error for a test module that registers one."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import last_user_text
from tests.scripted_server import Reply

PACK = Path(__file__).parents[1] / "examples" / "llmeval-exact-match"
ANSWERS = {
    json.loads(line)["question"]: json.loads(line)["answer"]
    for line in (PACK / "llmeval_exact_match" / "data" / "questions.jsonl").read_text().splitlines()
}


def answer(wrong_subjects: tuple[str, ...] = ()):
    def handler(request: dict) -> Reply:
        question = last_user_text(request).rsplit("\n", 1)[-1]
        if any(word in question for word in wrong_subjects):
            return Reply(text="Paris")
        return Reply(text=ANSWERS[question] + ".")

    return handler


@pytest.fixture
def installed_pack() -> None:
    try:
        metadata.distribution("llmeval-exact-match")
    except metadata.PackageNotFoundError:
        pytest.fail("the example pack is not installed: pip install ./examples/llmeval-exact-match")


def run(pytester, base_url: str, *args: str):
    output = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--llm-model=m", f"--llm-base-url={base_url}",
        f"--llm-output={output}", "--llm-no-cache", "-n", "2", *args,
    )  # fmt: skip
    folders = list(output.iterdir()) if output.exists() else []
    report = json.loads((folders[0] / "report.json").read_text()) if folders else None
    return result, report


def test_an_installed_pack_runs_with_its_own_data_under_xdist_and_a_threshold(
    pytester, serve, installed_pack
):
    pytester.makepyfile(test_pack=(PACK / "test_exact_match.py").read_text())
    server = serve(answer())
    result, report = run(pytester, server.base_url, "--llm-threshold=exact_match=0.8")
    assert result.ret == 0, result.stdout.str()
    assert "2 workers [5 items]" in result.stdout.str()
    assert "gate passed (1 thresholds)" in result.stdout.str()
    assert [(r["subset"], r["num"], r["score"]) for r in report["rows"]] == [
        ("arithmetic", 3, 1.0),
        ("capitals", 2, 1.0),
        ("OVERALL", 5, 1.0),
    ]


def test_a_pack_threshold_that_fails_names_its_subset(pytester, serve, installed_pack):
    pytester.makepyfile(test_pack=(PACK / "test_exact_match.py").read_text())
    server = serve(answer(wrong_subjects=("Japan",)))
    result, report = run(pytester, server.base_url, "--llm-threshold=exact_match:capitals=0.6")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*exact_match accuracy capitals: 0.5 < threshold 0.6*"])
    assert [r["score"] for r in report["rows"] if r["subset"] == "capitals"] == [0.5]


CONFTEST_BENCHMARK = """
from pytest_llmeval.benchmarks import Benchmark, register
from pytest_llmeval.config import Option
from pytest_llmeval.records import Sample, Verdict


@register
class Echo(Benchmark):
    name = "echo"
    options = (Option("--llm-echo-word", "the word to ask for", default="ping"),)

    def load(self, source):
        word = self.option("--llm-echo-word")
        return [
            Sample(f"s{i}", self.name, "default", [{"role": "user", "content": word}], word)
            for i in range(4)
        ]

    def score(self, sample, outcome):
        ok = outcome.final.text == sample.target
        return Verdict(ok, "ok" if ok else "wrong", {"AverageAccuracy": float(ok)})
"""

ECHO_MODULE = """
import pytest


@pytest.mark.llm_benchmark("echo")
def test_echo(llm_eval):
    llm_eval.check()
"""


def test_a_conftest_benchmark_with_an_option_runs_under_xdist_and_a_threshold(pytester, serve):
    pytester.makeconftest(CONFTEST_BENCHMARK)
    pytester.makepyfile(test_echo=ECHO_MODULE)
    server = serve(lambda request: Reply(text=last_user_text(request)))
    result, report = run(
        pytester, server.base_url, "--llm-echo-word=pong", "--llm-threshold=echo=1"
    )
    assert result.ret == 0, result.stdout.str()
    assert {last_user_text(r) for r in server.requests} == {"pong"}
    assert [(r["subset"], r["num"], r["score"]) for r in report["rows"]] == [
        ("default", 4, 1.0),
        ("OVERALL", 4, 1.0),
    ]


def test_registering_in_a_test_module_under_xdist_is_one_line_saying_where(pytester, serve):
    pytester.makepyfile(test_echo=CONFTEST_BENCHMARK + ECHO_MODULE)
    server = serve(lambda request: Reply(text="x"))
    result, _ = run(pytester, server.base_url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        [
            "pytest-llmeval: benchmark 'echo' is registered in a test module, which the xdist "
            "controller never imports: register it in a conftest.py or through the "
            "pytest_llmeval.benchmarks entry point"
        ]
    )
