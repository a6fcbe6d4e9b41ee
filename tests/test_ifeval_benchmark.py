"""IFEval as a benchmark: the prompt sent as it is, the four official figures out of the
plugin's aggregation computed by hand (instruction-level over instructions, not over prompts,
OVERALL too), passed iff prompt-level strict, records scored 0 without a reply still weighed by
their instructions. Data: our own prompts in the hub's schema (tests/data/ifeval)."""

from __future__ import annotations

import json

import pytest

from pytest_llmeval.benchmarks.ifeval import IFEval
from pytest_llmeval.data import DataError
from pytest_llmeval.records import SampleRecord
from tests.bench_run import jsonl, run_benchmark
from tests.conftest import DATA, last_user_text
from tests.scripted_server import Reply

FILE = DATA / "ifeval" / "ifeval.jsonl"
ROWS = {str(row["key"]): row for row in jsonl(FILE)}

FOLLOWS_ALL = {
    "1001": "<<Rain Note>>\nSoft rain taps the window and the street shines.",
    "1002": "The sun climbs slowly over the quiet hills and paints the sky gold and pink. "
    "Any other questions?",
    "1003": "the old orchard smells of ripe apples after the rain and the bees are busy all "
    "morning long.",
    "1004": "* Apple\n* Banana\n* Cherry",
    "1005": '{"capital": "Rome"}',
    "1006": '"Today I walked to the market and bought fresh bread.\nP.S. I also met an old '
    'friend."',
}
# By hand, per prompt: (strict, loose) of each instruction in the prompt's order.
MIXED = {
    "1001": FOLLOWS_ALL["1001"],  # no_comma T/T, title T/T
    # number_words T/T; end_checker F strictly, T loosely (last line removed)
    "1002": FOLLOWS_ALL["1002"] + "\nHave a nice day",
    # english_lowercase F/F (capitals, one line: no loose variant); keywords:existence T/T
    "1003": "The Orchard smells of ripe apples after the rain and the bees are busy all "
    "morning long.",
    "1004": "* Apple\n* Banana",  # number_bullet_lists (3) F/F
    "1005": 'Sure:\n{"capital": "Rome"}',  # json_format F strictly, T loosely (first line)
    "1006": FOLLOWS_ALL["1006"],  # postscript T/T, quotation T/T
}
# prompts: 6, instructions: 10
# prompt strict: 1001, 1006 -> 2/6;   prompt loose: 1001, 1002, 1005, 1006 -> 4/6
# instructions strict: 2+1+1+0+0+2 = 6 -> 6/10;   loose: 2+2+1+0+1+2 = 8 -> 8/10
# (averaged per prompt instead: strict 3/6, loose 4.5/6 - what the plugin must NOT report)
MIXED_FIGURES = {
    "prompt_level_strict_acc": 2 / 6,
    "inst_level_strict_acc": 6 / 10,
    "prompt_level_loose_acc": 4 / 6,
    "inst_level_loose_acc": 8 / 10,
}


def key_of(request: dict) -> str:
    (key,) = [k for k, row in ROWS.items() if last_user_text(request) == row["prompt"]]
    return key


def replying(answers: dict[str, str], fail: tuple[str, ...] = ()):
    def handler(request: dict) -> Reply:
        key = key_of(request)
        if key in fail:
            return Reply(status=500, error="scripted failure")
        return Reply(text=answers[key])

    return handler


def figures(run, subset: str) -> dict[str, float]:
    return {metric: score for metric, row_subset, _, score, _ in run.rows() if row_subset == subset}


def test_samples_send_the_prompt_as_it_is():
    samples = IFEval().load(str(FILE))
    assert [s.id for s in samples] == list(ROWS)
    first = samples[0]
    assert first.messages == [{"role": "user", "content": ROWS["1001"]["prompt"]}]
    assert first.meta["labels"] == {
        "instruction_id_list": ["punctuation:no_comma", "detectable_format:title"]
    }
    assert IFEval.metrics == tuple(MIXED_FIGURES)


def test_the_oracle_scores_one_on_all_four_figures(pytester, serve):
    server = serve(replying(FOLLOWS_ALL))
    run = run_benchmark(pytester, server.base_url, "ifeval")
    assert run.ret == 0, run.text
    run.result.assert_outcomes(passed=6)
    for subset in ("default", "OVERALL"):
        assert figures(run, subset) == dict.fromkeys(MIXED_FIGURES, 1.0)
    assert [r["messages"][0]["content"] for r in server.requests] == [
        row["prompt"] for row in ROWS.values()
    ]


def test_the_four_figures_by_hand_instruction_level_over_instructions(pytester, serve):
    server = serve(replying(MIXED))
    run = run_benchmark(pytester, server.base_url, "ifeval")
    assert run.ret == 1
    run.result.assert_outcomes(passed=2, failed=4)  # passed iff prompt-level strict
    for subset in ("default", "OVERALL"):
        assert figures(run, subset) == {k: round(v, 4) for k, v in MIXED_FIGURES.items()}
    assert [r[2] for r in run.rows()] == [6] * 8
    records = {r["sample_id"]: r for r in run.samples()}
    assert records["1002"]["reason"] == "not followed (strict): startend:end_checker"
    assert records["1005"]["extracted"] == {"strict": [False], "loose": [True]}
    assert records["1003"]["metrics"] == {
        "prompt_level_strict_acc": 0.0,
        "inst_level_strict_acc": 0.5,
        "prompt_level_loose_acc": 0.0,
        "inst_level_loose_acc": 0.5,
        "instructions": 2.0,
    }


def test_a_failed_call_scored_zero_still_counts_its_instructions(pytester, serve):
    server = serve(replying(MIXED, fail=("1006",)))
    run = run_benchmark(pytester, server.base_url, "ifeval", "--llm-ignore-errors")
    # 1006 (two instructions, both followed before) now follows none
    assert figures(run, "OVERALL") == {
        "prompt_level_strict_acc": round(1 / 6, 4),
        "inst_level_strict_acc": 0.4,
        "prompt_level_loose_acc": 0.5,
        "inst_level_loose_acc": 0.6,
    }
    assert [r[2] for r in run.rows()] == [6] * 8 and run.rows()[-1][4] == 1
    without = run_benchmark(pytester, server.base_url, "ifeval", output="o2")
    assert figures(without, "OVERALL") == {  # not scored: out of the denominators
        "prompt_level_strict_acc": 0.2,
        "inst_level_strict_acc": 0.5,
        "prompt_level_loose_acc": 0.6,
        "inst_level_loose_acc": 0.75,
    }


def test_aggregate_weighs_instructions_across_subsets():
    def record(subset, strict, n):
        return SampleRecord(
            "ifeval",
            subset,
            f"{subset}{n}",
            metrics={
                "prompt_level_strict_acc": float(strict == n),
                "inst_level_strict_acc": strict / n,
                "prompt_level_loose_acc": float(strict == n),
                "inst_level_loose_acc": strict / n,
                "instructions": float(n),
            },
        )

    records = [record("a", 1, 1), record("b", 0, 3), record("b", 2, 3)]
    values = IFEval().aggregate(records)
    assert values["inst_level_strict_acc"] == pytest.approx(3 / 7)  # per prompt: (1+0+2/3)/3
    assert values["prompt_level_strict_acc"] == pytest.approx(1 / 3)


def test_a_bad_instruction_stops_the_run_at_load(tmp_path):
    row = {**ROWS["1004"], "kwargs": [{"num_bullets": "three"}]}
    path = tmp_path / "ifeval.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match="IFEval 1004: detectable_format:number_bullet_lists"):
        IFEval().load(str(path))
    path.write_text(json.dumps({**row, "instruction_id_list": ["made:up"]}) + "\n")
    with pytest.raises(DataError, match="unknown IFEval instruction 'made:up'"):
        IFEval().load(str(path))
