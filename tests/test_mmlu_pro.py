"""MMLU-Pro: the official 5-shot chain-of-thought prompt (TIGER-AI-Lab/MMLU-Pro
``evaluate_from_api.py``) pinned character for character, the 0-shot option, "N/A" options
dropped, local and hub layouts, scoring through the real HTTP loop. Data: our own questions in
the hub's schema (tests/data/mmlu_pro: test.jsonl, validation.jsonl)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from pytest_llmeval.benchmarks import mmlu_pro
from pytest_llmeval.benchmarks.mmlu_pro import MmluPro
from pytest_llmeval.data import DataError
from tests.bench_run import answering, jsonl, run_benchmark
from tests.conftest import DATA

FOLDER = DATA / "mmlu_pro"
TEST = jsonl(FOLDER / "test.jsonl")
VALIDATION = jsonl(FOLDER / "validation.jsonl")
HEADER = (
    "The following are multiple choice questions (with answers) about physics. Think step by "
    'step and then output the answer in the format of "The answer is (X)" at the end.\n\n'
)
QUESTION_202 = (
    "Question: Which quantity is measured in joules?\nOptions: A. Power\nB. Force\nC. Pressure\n"
    "D. Energy\nE. Momentum\nF. Charge\nG. Current\nAnswer: Let's think step by step.\n\n"
)


def bench(shots: str = "5") -> MmluPro:
    return MmluPro({"llm_mmlu_pro_shots": shots})


def by_id(samples) -> dict:
    return {s.id: s for s in samples}


# -- the prompt -------------------------------------------------------------------------------
def test_the_five_shot_prompt_is_the_official_one():
    sample = by_id(bench().load(str(FOLDER)))["physics-202"]
    expected = (
        HEADER + "Question: What is the SI unit of force?\nOptions: A. Watt\nB. Newton\n"
        "C. Pascal\nD. Joule\nAnswer: Let's think step by step. Force is measured in newtons. "
        "The answer is (B).\n\n"
        "Question: An object of mass 3 kg moves at 4 m/s. What is its momentum?\nOptions: "
        "A. 7 kg m/s\nB. 1.33 kg m/s\nC. 12 kg m/s\nD. 24 kg m/s\nE. 48 kg m/s\nAnswer: Let's "
        "think step by step. Momentum is mass times velocity: 3 * 4 = 12. The answer is (C).\n\n"
        "Question: What is the approximate speed of light in vacuum?\nOptions: A. 3e5 m/s\n"
        "B. 3e8 m/s\nC. 3e6 m/s\nD. 340 m/s\nAnswer: Let's think step by step. Light travels at "
        "about 3e8 m/s. The answer is (B).\n\n"
        "Question: A 10 ohm resistor carries 2 A. What is the voltage across it?\nOptions: "
        "A. 5 V\nB. 12 V\nC. 8 V\nD. 20 V\nE. 0.2 V\nAnswer: Let's think step by step. Ohm's "
        "law: V = IR = 2 * 10 = 20 V. The answer is (D).\n\n"
        "Question: Which particle carries a negative electric charge?\nOptions: A. Electron\n"
        "B. Proton\nC. Neutron\nD. Photon\nAnswer: Let's think step by step. Electrons are "
        "negatively charged. The answer is (A).\n\n" + QUESTION_202
    )
    assert sample.messages == [{"role": "user", "content": expected}]
    assert (sample.subset, sample.target, sample.category) == ("physics", "D", "default")
    assert sample.meta == {
        "n_options": 7,
        "labels": {"question_id": 202, "src": "ours-physics", "shots": 5},
    }


def test_the_zero_shot_prompt_keeps_the_header_and_drops_the_examples():
    sample = by_id(bench("0").load(str(FOLDER)))["physics-202"]
    assert sample.messages[0]["content"] == HEADER + QUESTION_202
    assert sample.meta["labels"]["shots"] == 0


def test_examples_are_the_first_five_of_the_same_subject_in_file_order(tmp_path):
    extra = {**VALIDATION[0], "question_id": 99, "question": "A sixth math example?"}
    (tmp_path / "test.jsonl").write_text((FOLDER / "test.jsonl").read_text())
    rows = [extra, *VALIDATION]
    (tmp_path / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    prompt = by_id(bench().load(str(tmp_path)))["math-101"].messages[0]["content"]
    questions = re.findall(r"^Question: (.*)$", prompt, flags=re.MULTILINE)
    assert questions == [
        "A sixth math example?",
        "What is 12 + 30?",
        "What is 81 divided by 9?",
        "What is 2 to the power of 5?",
        "What is the square root of 144?",
        "What is the value of 7 * 8?",
    ]


def test_na_options_are_dropped_and_the_gold_letter_follows_the_shown_options(tmp_path):
    samples = by_id(bench().load(str(FOLDER)))
    assert {k: (s.target, s.meta["n_options"]) for k, s in samples.items()} == {
        "computer_science-301": ("I", 10),
        "computer_science-302": ("C", 10),
        "math-101": ("B", 10),
        "math-102": ("A", 6),
        "physics-201": ("C", 10),
        "physics-202": ("D", 7),
    }
    # an "N/A" before the gold option moves it up one letter
    row = {**TEST[3], "options": ["N/A", *TEST[3]["options"][:7]], "answer_index": 4}
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    shutil.copy(FOLDER / "validation.jsonl", tmp_path)
    (sample,) = bench().load(str(tmp_path))
    assert (sample.target, sample.meta["n_options"]) == ("D", 7)


def test_subsets_are_the_fourteen_categories_in_evalscopes_order():
    assert MmluPro.subsets == (
        "computer science", "math", "chemistry", "engineering", "law", "biology", "health",
        "physics", "business", "philosophy", "economics", "other", "psychology", "history",
    )  # fmt: skip
    assert [s.subset for s in bench().load(str(FOLDER))] == ["computer science"] * 2 + [
        "math"
    ] * 2 + ["physics"] * 2


# -- data layouts -----------------------------------------------------------------------------
def test_the_hub_gives_the_test_split_and_the_validation_split(monkeypatch):
    asked = []

    def read_hub(path, config, split):
        asked.append((path, config, split))
        return {"test": TEST, "validation": VALIDATION}[split]

    monkeypatch.setattr(mmlu_pro, "read_hub", read_hub)
    assert len(bench().load(None)) == 6
    assert asked == [
        ("TIGER-Lab/MMLU-Pro", None, "test"),
        ("TIGER-Lab/MMLU-Pro", None, "validation"),
    ]
    asked.clear()
    assert len(bench("0").load(None)) == 6
    assert asked == [("TIGER-Lab/MMLU-Pro", None, "test")]


def test_one_file_is_the_test_split_and_needs_zero_shots():
    path = FOLDER / "test.jsonl"
    assert [s.id for s in bench("0").load(str(path))] == [s.id for s in bench().load(str(FOLDER))]
    with pytest.raises(DataError) as raised:
        bench().load(str(path))
    assert str(raised.value) == (
        f"{path}: 5-shot needs the validation split: pass a folder with test.jsonl and "
        "validation.jsonl, or --llm-mmlu-pro-shots=0"
    )


def test_a_folder_without_validation_or_a_subject_without_examples(tmp_path):
    shutil.copy(FOLDER / "test.jsonl", tmp_path / "test-00000-of-00001.jsonl")
    with pytest.raises(DataError, match="holds no validation file for the 5-shot prompt"):
        bench().load(str(tmp_path))
    assert len(bench("0").load(str(tmp_path))) == 6
    math_only = [r for r in VALIDATION if r["category"] == "math"]
    (tmp_path / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in math_only))
    with pytest.raises(
        DataError, match="the validation split has no example of 'computer science'"
    ):
        bench().load(str(tmp_path))


def test_an_unknown_category_is_a_data_error(tmp_path):
    (tmp_path / "test.jsonl").write_text(json.dumps({**TEST[0], "category": "astrology"}) + "\n")
    with pytest.raises(DataError, match="test: unknown category 'astrology'"):
        bench("0").load(str(tmp_path))


# -- through the plugin -----------------------------------------------------------------------
def gold_of(prompt: str) -> str:
    """The letter of our row's gold option in the question asked (the prompt's last block)."""
    asked = prompt.rsplit("Question: ", 1)[1]
    (row,) = [r for r in TEST if asked.startswith(r["question"] + "\n")]
    shown = [o for o in row["options"] if o != "N/A"]
    return "ABCDEFGHIJ"[shown.index(row["options"][row["answer_index"]])]


def test_oracle_answers_score_one_through_http(pytester, serve):
    server = serve(answering(lambda p: f"Some steps. The answer is ({gold_of(p)})."))
    run = run_benchmark(pytester, server.base_url, "mmlu_pro")
    assert run.ret == 0, run.text
    run.result.assert_outcomes(passed=6)
    assert run.rows() == [
        ("AverageAccuracy", "computer science", 2, 1.0, 0),
        ("AverageAccuracy", "math", 2, 1.0, 0),
        ("AverageAccuracy", "physics", 2, 1.0, 0),
        ("AverageAccuracy", "OVERALL", 6, 1.0, 0),
    ]
    sent = {r["messages"][0]["content"] for r in server.requests}
    assert sent == {s.messages[0]["content"] for s in bench().load(str(FOLDER))}
    assert all(len(r["messages"]) == 1 for r in server.requests)  # one user message


def test_wrong_letters_and_replies_without_a_letter_score_zero_zero_shot(pytester, serve):
    def choose(prompt: str) -> str:
        assert "Answer: Let's think step by step. " not in prompt  # no worked examples
        if "joules" in prompt or "8-bit" in prompt:
            return "no idea, sorry"
        return "The answer is (J)." if gold_of(prompt) != "J" else "The answer is (A)."

    server = serve(answering(choose))
    run = run_benchmark(pytester, server.base_url, "mmlu_pro", "--llm-mmlu-pro-shots=0")
    assert run.ret == 1
    run.result.assert_outcomes(failed=6)
    assert run.rows()[-1] == ("AverageAccuracy", "OVERALL", 6, 0.0, 0)
    reasons = {r["sample_id"]: r["reason"] for r in run.samples()}
    assert reasons == {
        "computer_science-301": "no_answer_found",
        "computer_science-302": "expected C, got J",
        "math-101": "expected B, got J",
        "math-102": "no_answer_found",  # six options: J is not one of them
        "physics-201": "expected C, got J",
        "physics-202": "no_answer_found",
    }


def test_a_bad_shots_value_is_one_line_before_any_call(pytester, serve):
    server = serve(answering(lambda p: "A"))
    run = run_benchmark(pytester, server.base_url, "mmlu_pro", "--llm-mmlu-pro-shots=3")
    assert run.ret == 4
    assert "--llm-mmlu-pro-shots: expected 5 or 0, got '3'" in run.text
    assert server.requests == []
