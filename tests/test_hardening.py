"""What a hostile model, a broken server or a careless user sends: one clear line, never a
crash, a hang or a leaked key (issue: hardening). Each case goes through the real plugin."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from tests.conftest import AIME_DATA, aime_oracle, last_user_text
from tests.scripted_server import Reply
from tests.test_errors import assert_usage_error

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def oracle(serve):
    return serve(aime_oracle)


# -- bad input: one line, exit 4, before any call ---------------------------------------------
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--llm-threshold=aime25=nan"],
            "ERROR: --llm-threshold 'aime25=nan': expected DATASET[:METRIC][:SUBSET]=NUMBER, "
            "e.g. bfcl_v3:live_simple=0.8",
        ),
        (
            ["--llm-temperature=nan"],
            "ERROR: --llm-temperature: expected a finite number, got 'nan'",
        ),
        (
            ["--llm-extra-body=k=NaN"],
            "ERROR: --llm-extra-body k=NaN: NaN is not valid JSON",
        ),
        (
            ["--llm-extra-body=messages=[]"],
            "ERROR: --llm-extra-body messages=...: 'messages' is built by the harness and "
            "cannot be set",
        ),
        (
            ["--llm-data=nosuchset=/tmp"],
            "ERROR: --llm-data nosuchset=...: unknown benchmark 'nosuchset' (known: {known})",
        ),
    ],
)
def test_bad_option_values(oracle, llmeval, args, line):
    from pytest_llmeval.benchmarks import REGISTRY

    line = line.replace("{known}", ", ".join(REGISTRY.names()))
    assert_usage_error(llmeval(oracle.base_url, *args), line, oracle)


def test_a_base_url_that_is_not_a_url(llmeval):
    run = llmeval("notaurl")
    assert_usage_error(
        run,
        "ERROR: --llm-base-url: expected an http(s) URL like http://host:8000/v1, got 'notaurl'",
    )


def test_a_server_that_does_not_speak_http(llmeval):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def garbage() -> None:
        for _ in range(3):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(4096)
            conn.sendall(b"\x00\x01garbage that is no HTTP\r\n\r\n")
            conn.close()

    threading.Thread(target=garbage, daemon=True).start()
    try:
        run = llmeval(f"http://127.0.0.1:{port}/v1")
    finally:
        listener.close()
    assert_usage_error(
        run,
        f"ERROR: the model server at http://127.0.0.1:{port}/v1 does not speak HTTP "
        "(BadStatusLine)",
    )


def test_an_output_that_is_a_file(oracle, llmeval, pytester):
    output = pytester.path / "taken"
    output.write_text("a file")
    run = llmeval(oracle.base_url, f"--llm-output={output}")
    assert_usage_error(
        run, f"ERROR: --llm-output {output}: cannot write there (File exists)", oracle
    )


@pytest.mark.parametrize("kind", ["garbage", "folder"])
def test_a_cache_that_is_no_database(oracle, llmeval, pytester, kind):
    cache = pytester.path / "cache.sqlite3"
    if kind == "garbage":
        cache.write_bytes(os.urandom(4096))
        reason = "file is not a database"
    else:
        cache.mkdir()
        reason = "is a folder, not a file"
    run = llmeval(oracle.base_url, f"--llm-cache={cache}")
    assert_usage_error(
        run,
        f"ERROR: --llm-cache {cache}: {reason} (pass another file or --llm-no-cache)",
        oracle,
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("5\n", "AIME2025-I.jsonl:1: expected an object, got int"),
        (
            '{"question": "q", "answer": "1"}\n[1, 2]\n',
            "AIME2025-I.jsonl:2: expected an object, got list",
        ),
        ("[" * 200_000 + "]" * 200_000 + "\n", "AIME2025-I.jsonl:1: nested too deeply"),
    ],
    ids=["number", "list", "deep"],
)
def test_data_lines_that_are_not_rows(oracle, llmeval, pytester, content, reason):
    folder = pytester.path / "bad"
    folder.mkdir()
    (folder / "AIME2025-I.jsonl").write_text(content)
    run = llmeval(oracle.base_url, f"--llm-data=aime25={folder}")
    assert_usage_error(run, f"pytest-llmeval: aime25: cannot read {folder}/{reason}", oracle)


def test_a_fifo_as_data_does_not_hang(oracle, llmeval, pytester):
    fifo = pytester.path / "AIME2025-I.jsonl"
    os.mkfifo(fifo)
    run = llmeval(oracle.base_url, f"--llm-data=aime25={fifo}")
    line = f"pytest-llmeval: aime25: cannot read {fifo}: not a regular file or folder"
    assert_usage_error(run, line, oracle)


def test_an_empty_data_file_is_an_error_not_a_skip(oracle, llmeval, pytester):
    empty = pytester.path / "AIME2025-I.jsonl"
    empty.write_text("")
    run = llmeval(oracle.base_url, f"--llm-data=aime25={empty}", "--llm-threshold=aime25=0.5")
    assert_usage_error(run, f"pytest-llmeval: aime25: no samples in {empty}", oracle)


# -- hostile or broken replies: nothing lost, nothing crashes ----------------------------------
def test_a_lone_surrogate_in_a_reply_loses_nothing(serve, llmeval):
    def handler(request: dict) -> Reply:
        if "2^{10}" in last_user_text(request):
            return Reply(text="So \\boxed{24} \ud800.")
        return aime_oracle(request)

    server = serve(handler)
    run = llmeval(server.base_url, "--llm-threshold=aime25=0")
    assert run.ret == 0, run.text
    assert "INTERNALERROR" not in run.text
    samples = run.samples()
    assert len(samples) == 30
    (odd,) = [s for s in samples if s["response"]["text"].endswith("\ud800.")]
    assert odd["passed"] is True
    assert json.loads((run.run_dir / "report.json").read_text())["rows"]


def test_a_stream_cut_before_its_finish_is_retried_not_scored(serve, llmeval):
    seen: dict[str, int] = {}

    def handler(request: dict) -> Reply:
        text = last_user_text(request)
        seen[text] = seen.get(text, 0) + 1
        reply = aime_oracle(request)
        reply.stream_cut = seen[text] == 1  # the first answer to every question is cut off
        return reply

    server = serve(handler)
    run = llmeval(server.base_url, "--llm-stream", "--llm-retries=2")
    assert run.ret == 0, run.text
    assert {s["attempts"] for s in run.samples()} == {2}
    assert all(s["passed"] for s in run.samples())


def test_a_key_echoed_by_the_server_is_written_nowhere(serve, llmeval, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)

    def handler(request: dict) -> Reply:
        if "2^{10}" in last_user_text(request):
            return Reply(status=400, error=f"Incorrect API key provided: Bearer {SECRET}")
        return Reply(text=f"I was called with {SECRET}. So \\boxed{{1}}.")

    server = serve(handler)
    run = llmeval(server.base_url, "--junitxml=junit.xml", "-rA")
    assert SECRET not in run.text
    for path in run.run_dir.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
    junit = run.output.parent / "junit.xml"
    assert SECRET not in junit.read_text()
    assert "Incorrect API key provided: Bearer ***" in (run.run_dir / "samples.jsonl").read_text()


def test_the_sample_header_carries_no_key_or_control_characters(serve, llmeval, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    sent: list[str] = []

    def handler(request: dict) -> Reply:
        sent.append(request["__headers__"].get("x-llmeval-sample", ""))
        return aime_oracle(request)

    server = serve(handler)
    llmeval(server.base_url, "--llm-sample-header", f"--llm-data=aime25={AIME_DATA}")
    assert len(sent) == 30
    assert all(value.startswith("aime25/AIME2025-") for value in sent)
    assert all(SECRET not in value and value.isprintable() for value in sent)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=401, error="invalid key for chat"),
        Reply(status=404, error="model 'scripted' does not exist"),
        Reply(raw_body=b"<html>gateway</html>"),
    ],
    ids=["401", "404", "html"],
)
def test_a_broken_service_stops_the_run_with_one_line(serve, llmeval, reply):
    server = serve(lambda request: reply)
    run = llmeval(server.base_url, "--llm-retries=1", "--llm-concurrency=1")
    assert run.ret == pytest.ExitCode.INTERRUPTED, run.text
    stops = [line for line in run.result.outlines if "pytest-llmeval stopped the run" in line]
    assert len(stops) == 1
    assert "10 samples in a row failed with:" in stops[0]
    samples = run.samples()
    assert 8 <= len(samples) <= 10  # the samples tested so far are kept (two run ahead)
    assert all(s["verdict"] == "error" for s in samples)
    assert len(server.requests) <= 2 * (len(samples) + 2)  # retries=1: two tries a sample
    assert run.report()["rows"]


def test_the_stop_can_be_turned_off(serve, llmeval):
    server = serve(lambda request: Reply(status=401, error="no"))
    run = llmeval(server.base_url, "--llm-retries=0", "--llm-max-consecutive-errors=0")
    assert len(run.samples()) == 30


def test_a_long_reply_is_stored_once(serve, llmeval):
    long_text = "x" * 2_000_000 + " So \\boxed{24}."
    server = serve(lambda request: Reply(text=long_text))
    run = llmeval(server.base_url, "-k", "AIME2025-I-0")
    size = (run.run_dir / "samples.jsonl").stat().st_size
    assert 2_000_000 < size < 2_100_000


def test_report_only_exits_0_once_the_evaluation_ran(serve, llmeval):
    server = serve(
        lambda request: (
            Reply(text="So \\boxed{999}.")
            if "2^{10}" in last_user_text(request)
            else Reply(status=400, error="no")
        )
    )
    plain = llmeval(server.base_url, "--llm-retries=0", "--llm-max-consecutive-errors=0")
    assert plain.ret == pytest.ExitCode.TESTS_FAILED
    report_only = llmeval(
        server.base_url, "--llm-retries=0", "--llm-max-consecutive-errors=0", "--llm-report-only"
    )
    assert report_only.ret == pytest.ExitCode.OK
    assert "| scripted | aime25" in report_only.text


def test_an_interrupted_run_says_it_is_partial_and_writes_its_files(serve, pytester):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import AIME_MODULE

    server = serve(lambda request: Reply(text="So \\boxed{1}.", delay=0.2))
    pytester.makepyfile(test_bench_aime25=AIME_MODULE)
    output = pytester.path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--llm-data=aime25={AIME_DATA}",
         f"--llm-output={output}", "--llm-model=m", f"--llm-base-url={server.base_url}",
         "--llm-concurrency=1", "--llm-no-cache"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(output.glob("*/samples.jsonl"))
        if files and len(files[0].read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    text, _ = process.communicate(timeout=60)
    (run_dir,) = output.iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    partial = report["meta"]["partial"]["aime25"]
    assert partial["AIME2025-II"] == {"ran": 0, "selected": 15}
    assert 3 <= partial["AIME2025-I"]["ran"] < 15
    ran = len((run_dir / "samples.jsonl").read_text().splitlines())
    assert ran == partial["AIME2025-I"]["ran"]
    assert "PARTIAL RUN: aime25: 1 subsets did not run, 2 are incomplete" in text
