"""A finished run re-scored from its records gives the same verdicts and table, with no call."""

from __future__ import annotations

import json

import pytest

from pytest_llmeval.rescore import RescoreError, rescore
from tests.bfcl.test_http_oracle import node_ids, run_oracle, samples
from tests.conftest import aime_handler
from tests.scripted_server import Reply


def _read(folder):
    report = json.loads((folder / "report.json").read_text())
    lines = (folder / "samples.jsonl").read_text().splitlines()
    verdicts = {(r["dataset"], r["sample_id"]): r["passed"] for r in map(json.loads, lines)}
    return report["rows"], verdicts


def test_an_aime_run_rescored_gives_the_same_table(serve, llmeval, tmp_path):
    server = serve(aime_handler(lambda subset, index, gold: gold if index % 3 else "999"))
    run = llmeval(server.base_url)
    calls = len(server.requests)
    folder = rescore(run.run_dir, tmp_path)
    assert len(server.requests) == calls  # nothing was asked again
    rows, verdicts = _read(folder)
    before_rows, before = _read(run.run_dir)
    assert rows == before_rows
    assert verdicts == before and sum(verdicts.values()) == 20


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_a_bfcl_run_rescored_gives_the_same_table(pytester, serve, mode, tmp_path):
    chosen = [s for s in samples(mode) if s.subset in ("simple", "multiple", "multi_turn_base")]
    run_oracle(pytester, serve, mode, chosen, "--llm-limit=3", *node_ids(s.id for s in chosen))
    (run_dir,) = (pytester.path / "out").iterdir()
    folder = rescore(run_dir, tmp_path)
    rows, verdicts = _read(folder)
    before_rows, before = _read(run_dir)
    assert rows == before_rows
    assert verdicts == before and len(verdicts) == 9
    assert sum(verdicts.values()) == 9  # the oracle's answers, all right


def test_a_changed_answer_is_rescored_with_the_current_scorer(serve, llmeval, tmp_path):
    server = serve(lambda request: Reply(text="So \\boxed{24}."))
    run = llmeval(server.base_url, "-k", "AIME2025-I-0 or AIME2025-I-1")
    path = run.run_dir / "samples.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        record["response"]["text"] = "So \\boxed{1}."  # as if the model had said this
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    _, verdicts = _read(rescore(run.run_dir, tmp_path))
    assert set(verdicts.values()) == {False}


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path):
    with pytest.raises(RescoreError, match="not a finished run folder"):
        rescore(tmp_path)


@pytest.mark.parametrize(
    "reply",
    [
        {"text": None, "reasoning": "", "tool_calls": None, "finish_reason": "stop"},
        {"text": "", "reasoning": "", "tool_calls": [], "finish_reason": "stop"},
        {"text": None, "reasoning": "r", "tool_calls": [
            {"name": "f", "arguments": "{}", "id": "c"}], "finish_reason": "tool_calls"},
    ],
    ids=["null", "empty-list", "call"],
)  # fmt: skip
def test_a_stored_reply_is_read_back_as_the_model_sent_it(reply):
    from pytest_llmeval.rescore import _response

    assert _response(reply).reply() == reply
