"""GPQA Diamond: EvalScope's prompt, the option order fixed per Record ID and recorded, scoring
through the real HTTP loop, and the one line a gated hub set gets. Data: our own questions in
the hub's schema (tests/data/gpqa_diamond)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import datasets
import pytest

from pytest_llmeval.benchmarks.gpqa import GpqaDiamond
from pytest_llmeval.benchmarks.multiple_choice import EVALSCOPE_COT_TEMPLATE, choice_prompt
from pytest_llmeval.data import DataError
from pytest_llmeval.records import Outcome, Response
from pytest_llmeval.scoring.choice import shuffle_options
from tests.bench_run import answering, jsonl, run_benchmark, shown_letter
from tests.conftest import DATA

FILE = DATA / "gpqa_diamond" / "gpqa_diamond.jsonl"
ROWS = jsonl(FILE)
HUB_ORDER = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


def load(path=FILE) -> list:
    return GpqaDiamond().load(str(path))


def _write(tmp_path, rows):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def gold_letter(prompt: str) -> str:
    """The letter the prompt shows our row's correct answer under (read from the data file)."""
    (row,) = [r for r in ROWS if r["Question"] in prompt]
    return shown_letter(prompt, row["Correct Answer"])


# -- prompt and shuffle -----------------------------------------------------------------------
def test_the_prompt_is_evalscopes_zero_shot_cot_template():
    first = load()[0]
    assert first.messages == [
        {
            "role": "user",
            "content": "Answer the following multiple choice question. The last line of your "
            "response should be of the following format: 'ANSWER: [LETTER]' (without quotes) "
            "where [LETTER] is one of A,B,C,D. Think step by step before answering.\n\n"
            "A block of mass 2 kg rests on a frictionless table and is pushed by a constant "
            "horizontal force of 6 N. What is its acceleration?\n\n"
            "A) 6 m/s^2\nB) 12 m/s^2\nC) 3 m/s^2\nD) 0.33 m/s^2",
        }
    ]
    assert (first.id, first.subset, first.category, first.target) == (
        "recT001",
        "default",
        "default",
        "C",
    )
    assert first.meta["labels"] == {
        "record_id": "recT001",
        "domain": "Physics",
        "subdomain": "Classical Mechanics",
        "permutation": [3, 1, 0, 2],
    }


def test_the_option_order_is_fixed_per_record_id_and_recorded():
    samples = load()
    # pinned: a change of the shuffle would silently change every GPQA prompt and cache key
    assert [(s.id, s.target, s.meta["labels"]["permutation"]) for s in samples] == [
        ("recT001", "C", [3, 1, 0, 2]),
        ("recT002", "C", [2, 3, 0, 1]),
        ("recT003", "D", [1, 2, 3, 0]),
        ("recT004", "A", [0, 3, 2, 1]),
        ("recT005", "A", [0, 2, 1, 3]),
        ("recT006", "A", [0, 3, 2, 1]),
        ("recT007", "A", [0, 2, 3, 1]),
        ("recT008", "D", [2, 3, 1, 0]),
    ]
    for sample, row in zip(samples, ROWS):
        hub = [row[field] for field in HUB_ORDER]
        permutation = sample.meta["labels"]["permutation"]
        _, gold, again = shuffle_options(hub, 0, row["Record ID"])
        assert again == permutation and "ABCD"[gold] == sample.target
        prompt = sample.messages[0]["content"]
        assert prompt.endswith(
            "\n".join(f"{'ABCD'[j]}) {hub[k]}" for j, k in enumerate(permutation))
        )
        assert gold_letter(prompt) == sample.target  # read back from the text the model sees
    assert len({tuple(s.meta["labels"]["permutation"]) for s in samples}) > 4


def test_a_rerun_or_another_row_order_asks_the_same_prompts(tmp_path):
    shuffled = ROWS[::-1]
    random.Random(7).shuffle(shuffled)
    by_id = {s.id: s for s in load(_write(tmp_path, shuffled))}
    assert [by_id[s.id] for s in load()] == load()


def test_the_order_follows_the_record_id_not_the_question(tmp_path):
    row = {**ROWS[0], "Record ID": "recOTHER"}
    (sample,) = load(_write(tmp_path, [row]))
    assert sample.meta["labels"]["permutation"] == shuffle_options(range(4), 0, "recOTHER")[2]
    assert sample.meta["labels"]["permutation"] != [3, 1, 0, 2]


def test_the_prompt_comes_from_the_shared_builder():
    sample = load()[2]
    row = ROWS[2]
    hub = [row[field] for field in HUB_ORDER]
    shown = [hub[k] for k in sample.meta["labels"]["permutation"]]
    assert sample.messages[0]["content"] == choice_prompt(
        EVALSCOPE_COT_TEMPLATE, row["Question"], shown
    )


@pytest.mark.parametrize(
    ("reply", "passed", "reason"),
    [
        ("Step by step... ANSWER: C", True, "correct"),
        ("The answer is (B)", False, "expected C, got B"),
        ("I cannot tell which one is right.", False, "no_answer_found"),
        ("", False, "no_answer_found"),
    ],
)
def test_scoring_uses_the_shared_letter_extractor(reply, passed, reason):
    verdict = GpqaDiamond().score(load()[0], Outcome(responses=[Response(text=reply)]))
    assert (verdict.passed, verdict.reason, verdict.metrics) == (
        passed,
        reason,
        {"AverageAccuracy": float(passed)},
    )


# -- through the plugin -----------------------------------------------------------------------
def test_oracle_answers_score_one_and_a_rerun_is_served_from_the_cache(pytester, serve):
    server = serve(answering(lambda prompt: f"Let me think.\n\nANSWER: {gold_letter(prompt)}"))
    run = run_benchmark(pytester, server.base_url, "gpqa_diamond")
    assert run.ret == 0, run.text
    run.result.assert_outcomes(passed=8)
    assert run.rows() == [
        ("AverageAccuracy", "default", 8, 1.0, 0),
        ("AverageAccuracy", "OVERALL", 8, 1.0, 0),
    ]
    records = run.samples()
    assert [r["labels"]["permutation"] for r in records] == [
        s.meta["labels"]["permutation"] for s in load()
    ]
    assert [(r["target"], r["extracted"]) for r in records] == [(s.target,) * 2 for s in load()]
    asked = [r["messages"][-1]["content"] for r in server.requests]

    again = run_benchmark(pytester, server.base_url, "gpqa_diamond", output="o2")
    assert again.ret == 0 and len(server.requests) == 8  # every prompt identical: all cached
    assert [r["cached"] for r in again.samples()] == [True] * 8
    assert sorted(asked) == sorted(r["messages"][0]["content"] for r in again.samples())


def test_wrong_letters_and_replies_without_a_letter_score_zero(pytester, serve):
    def choose(prompt: str) -> str:
        gold = gold_letter(prompt)
        if "resistors" in prompt or "propane" in prompt:
            return "I would rather not pick one of these."
        return "ANSWER: " + ("B" if gold != "B" else "A")

    server = serve(answering(choose))
    run = run_benchmark(pytester, server.base_url, "gpqa_diamond", "--llm-no-cache")
    assert run.ret == 1
    run.result.assert_outcomes(failed=8)
    assert run.rows()[-1] == ("AverageAccuracy", "OVERALL", 8, 0.0, 0)
    reasons = {r["sample_id"]: r["reason"] for r in run.samples()}
    assert reasons["recT004"] == reasons["recT005"] == "no_answer_found"
    assert reasons["recT001"] == "expected C, got B"
    assert reasons["recT003"] == "expected D, got B"


# -- the gated hub set ------------------------------------------------------------------------
class GatedError(Exception):
    pass


def test_a_gated_hub_refusal_says_in_one_line_how_to_get_access(monkeypatch):
    calls = []

    def refuse(path, name=None, **kwargs):
        calls.append((path, name, kwargs))
        raise GatedError(
            "Dataset 'Idavidrein/gpqa' is a gated dataset on the Hub. You must be authenticated "
            "to access it.\nmore detail"
        )

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    with pytest.raises(DataError) as raised:
        GpqaDiamond().load(None)
    assert calls == [("Idavidrein/gpqa", "gpqa_diamond", {"split": "train"})]
    message = str(raised.value)
    assert "\n" not in message
    assert message == (
        "cannot load hub dataset Idavidrein/gpqa/gpqa_diamond: Dataset 'Idavidrein/gpqa' is a "
        "gated dataset on the Hub. You must be authenticated to access it.; GPQA is gated: accept "
        "its terms on https://huggingface.co/datasets/Idavidrein/gpqa (logged in), then run "
        "`huggingface-cli login` or set HF_TOKEN"
    )


def test_the_gated_hint_stops_the_run_before_any_call(pytester, serve, monkeypatch):
    def refuse(path, name=None, **kwargs):
        raise GatedError("401 Client Error: Unauthorized")

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    server = serve(answering(lambda prompt: "A"))
    run = run_benchmark(pytester, server.base_url, "gpqa_diamond", data=Path())
    assert run.ret == 4
    (line,) = [line for line in run.result.outlines if "GPQA is gated" in line]
    assert "huggingface-cli login" in line and "HF_TOKEN" in line
    assert server.requests == []


def test_local_data_errors_are_not_dressed_as_access_problems(tmp_path):
    with pytest.raises(DataError) as raised:
        GpqaDiamond().load(str(tmp_path / "missing.jsonl"))
    assert "gated" not in str(raised.value)
