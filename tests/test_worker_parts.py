"""xdist workers on this machine write their own records: samples.jsonl is still whole."""

from __future__ import annotations

import json

from pytest_llmeval.records import SUMMARY_FIELDS
from tests.conftest import aime_handler
from tests.scripted_server import Reply

# Seen by the controller before its own hook: what each worker's report carried.
WIRE_PROBE = """
import json
import pytest

WORKER = []  # workers see their own reports too: count the controller's only

def pytest_configure(config):
    WORKER.append(hasattr(config, "workerinput"))

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    record = getattr(report, "llm_record", None)
    if record is not None and report.when == "call" and not WORKER[-1]:
        with open("wire.jsonl", "a") as handle:
            handle.write(json.dumps(record) + "\\n")
"""


def answer(subset: str, index: int, gold: str) -> str | Reply:
    return gold if index % 2 else Reply(text=f"So \\boxed{{{gold}9}}.", reasoning="a long thought")


def without_timing(records: list[dict]) -> list[dict]:
    return sorted(({**r, "latency_s": None} for r in records), key=lambda r: r["nodeid"])


def test_samples_jsonl_under_two_workers_equals_the_single_process_one(serve, llmeval, pytester):
    server = serve(aime_handler(answer))
    pytester.makeconftest(WIRE_PROBE)
    single = llmeval(server.base_url, "--llm-no-cache", "--llm-repeats=2", "-n", "0")
    (pytester.path / "wire.jsonl").unlink()
    spread = llmeval(
        server.base_url, "--llm-no-cache", "--llm-repeats=2", "-n", "2", subprocess=True
    )
    assert (single.ret, spread.ret) == (1, 1)  # every other answer is wrong
    assert "2 workers [60 items]" in spread.text
    records = spread.samples()
    assert len(records) == 60
    assert without_timing(records) == without_timing(single.samples())
    heavy = [r for r in records if r["response"]["reasoning"] == "a long thought"]
    assert len(heavy) == 32 and all(r["messages"] for r in heavy)
    names = {p.name for p in spread.run_dir.iterdir()}
    assert {"report.json", "samples.jsonl", "viewer.html"} <= names
    assert ".parts" not in names  # the workers' part files were absorbed
    wire = [json.loads(line) for line in (pytester.path / "wire.jsonl").read_text().splitlines()]
    assert len(wire) == 60
    assert all(tuple(r) == SUMMARY_FIELDS for r in wire)  # summaries only, no heavy field
    assert sorted(r["nodeid"] for r in wire) == sorted(r["nodeid"] for r in records)
