"""SimpleQA and Chinese SimpleQA end to end: one scripted server plays the model and the judge
(told apart by the model name), our own data in each hub schema, numbers checked by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import DATA, last_user_text
from tests.scripted_server import Reply

ROOT = Path(__file__).parents[1]
SIMPLE_QA = DATA / "simple_qa" / "simple_qa.jsonl"
CHINESE = DATA / "chinese_simpleqa" / "chinese_simpleqa.jsonl"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class ModelAndJudge:
    """The model answers per question from `answers`; the judge grades by the answer it sees."""

    def __init__(self, answers: dict[str, str], grades: dict[str, str]) -> None:
        self.answers = answers  # question substring -> model answer
        self.grades = grades  # model answer -> judge reply
        self.judge_prompts: list[str] = []

    def __call__(self, request: dict) -> Reply:
        text = last_user_text(request)
        if request["model"] == "judge":
            self.judge_prompts.append(text)
            answer = next(a for a in self.grades if a in text)
            return Reply(text=self.grades[answer])
        answer = next((a for q, a in self.answers.items() if q in text), "no idea")
        return Reply(text=answer)


def simple_qa_script() -> ModelAndJudge:
    """10 questions: 6 right (judge says A in six shapes), 3 wrong (B), 1 not attempted (C)."""
    questions = [r["problem"] for r in rows(SIMPLE_QA)]
    answers = {q: f"model answer #{i}." for i, q in enumerate(questions)}
    replies = [
        "A",
        "A: CORRECT",
        "**A**",
        '{"grade": "A"}',
        "CORRECT",
        "The grade is A.",
        "B",
        "B: INCORRECT",
        "INCORRECT",
        "C",
    ]
    grades = {f"model answer #{i}.": reply for i, reply in enumerate(replies)}
    return ModelAndJudge(answers, grades)


def run(pytester, server, module: str, *args: str):
    output = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        str(ROOT / "benchmarks" / f"test_{module}.py"),
        "--llm-model=target",
        f"--llm-base-url={server.base_url}",
        "--llm-judge-model=judge",
        f"--llm-output={output}",
        "--llm-no-cache",
        *args,
    )
    run_dirs = list(output.iterdir()) if output.exists() else []
    report = json.loads((run_dirs[0] / "report.json").read_text()) if run_dirs else None
    return result, report, run_dirs[0] if run_dirs else None


def table(report: dict) -> dict[tuple[str, str], dict]:
    return {(r["metric"], r["subset"]): r for r in report["rows"]}


def test_simple_qa_metrics_match_the_hand_count(pytester, serve):
    script = simple_qa_script()
    server = serve(script)
    result, report, _ = run(pytester, server, "simple_qa", f"--llm-data=simple_qa={SIMPLE_QA}")
    rows_ = table(report)
    # 6 correct, 3 incorrect, 1 not attempted out of 10
    expected = {
        "is_correct": 0.6,
        "is_incorrect": 0.3,
        "is_not_attempted": 0.1,
        "correct_given_attempted": 6 / 9,
        "f_score": 2 * 0.6 * (6 / 9) / (0.6 + 6 / 9),
    }
    for metric, value in expected.items():
        for subset in ("default", "OVERALL"):
            row = rows_[(metric, subset)]
            assert row["num"] == 10 and row["errors"] == 0
            assert row["score"] == pytest.approx(value)
    result.assert_outcomes(passed=6, failed=4)
    assert re.search(
        r"\| target +\| simple_qa +\| is_correct +\| default +\| +10 \| +0\.6 +±0\.\d{3} +"
        r"\| default",
        result.stdout.str(),
    )


def test_judge_sees_question_gold_and_answer_and_its_reply_is_kept(pytester, serve):
    script = simple_qa_script()
    server = serve(script)
    _, _, run_dir = run(pytester, server, "simple_qa", f"--llm-data=simple_qa={SIMPLE_QA}")
    first = rows(SIMPLE_QA)[0]
    prompt = next(p for p in script.judge_prompts if "model answer #0." in p)
    assert first["problem"] in prompt and first["answer"] in prompt
    records = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    record = next(r for r in records if r["sample_id"] == "0")
    assert record["extra"] == {"judge_reply": "A", "grade": "CORRECT"}
    assert record["labels"] == {"topic": "Science and technology", "answer_type": "Other"}
    assert record["judge_usage"]["calls"] == 1 and record["usage"]["calls"] == 1


def test_an_unparseable_judge_reply_is_retried_then_recorded_as_a_judge_error(pytester, serve):
    script = simple_qa_script()
    script.grades["model answer #9."] = "I cannot decide between the options."
    server = serve(script)
    result, report, run_dir = run(
        pytester, server, "simple_qa", f"--llm-data=simple_qa={SIMPLE_QA}"
    )
    judge_calls = [p for p in script.judge_prompts if "model answer #9." in p]
    assert len(judge_calls) == 3  # bounded retries, each a fresh call
    row = table(report)[("is_correct", "default")]
    assert (row["num"], row["errors"], row["score"]) == (9, 1, pytest.approx(6 / 9))
    assert table(report)[("is_incorrect", "default")]["score"] == pytest.approx(3 / 9)
    result.assert_outcomes(passed=6, failed=3, errors=1)
    records = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    errored = next(r for r in records if r["error"])
    assert errored["error_kind"] == "judge"
    assert errored["extra"]["judge_reply"] == "I cannot decide between the options."


def test_a_judged_benchmark_without_a_judge_stops_before_any_call(pytester, serve):
    server = serve(simple_qa_script())
    output = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        str(ROOT / "benchmarks" / "test_simple_qa.py"),
        "--llm-model=target",
        f"--llm-base-url={server.base_url}",
        f"--llm-data=simple_qa={SIMPLE_QA}",
        f"--llm-output={output}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert server.requests == []
    assert "simple_qa is graded by an LLM judge: pass --llm-judge-model" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_a_rerun_rejudges_nothing(pytester, serve):
    script = simple_qa_script()
    server = serve(script)
    cache = pytester.path / "cache.sqlite3"
    args = (f"--llm-data=simple_qa={SIMPLE_QA}", f"--llm-cache={cache}")
    output = pytester.path / "out"
    common = (
        "--llm-model=target",
        f"--llm-base-url={server.base_url}",
        "--llm-judge-model=judge",
        f"--llm-output={output}",
    )
    target = str(ROOT / "benchmarks" / "test_simple_qa.py")
    pytester.runpytest_inprocess(target, *common, *args)
    seen = len(server.requests)
    pytester.runpytest_inprocess(target, *common, *args)
    assert seen == 20 and len(server.requests) == seen


def test_a_custom_grader_template_replaces_ours(pytester, serve):
    script = simple_qa_script()
    server = serve(script)
    template = pytester.path / "grader.txt"
    template.write_text("MY RUBRIC\nQ: {question}\nGold: {target}\nGot: {predicted}\nLetter?")
    run(
        pytester,
        server,
        "simple_qa",
        f"--llm-data=simple_qa={SIMPLE_QA}",
        f"--llm-judge-template={template}",
    )
    assert all(p.startswith("MY RUBRIC") for p in script.judge_prompts)


def test_a_template_without_placeholders_is_a_usage_error(pytester, serve):
    server = serve(simple_qa_script())
    template = pytester.path / "grader.txt"
    template.write_text("Grade it: {question}")
    result, _, _ = run(
        pytester,
        server,
        "simple_qa",
        f"--llm-data=simple_qa={SIMPLE_QA}",
        f"--llm-judge-template={template}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "lacks the placeholder(s) {target}, {predicted}" in result.stderr.str()


def test_chinese_simpleqa_lists_each_subset_under_each_metric(pytester, serve):
    data = rows(CHINESE)
    answers = {r["question"]: f"回答<{i}>" for i, r in enumerate(data)}
    # even rows right (【正确】 / 正确 / A), odd rows wrong or not attempted
    replies = ["【正确】", "【错误】", "正确", "【未尝试】", "A", "B"] * 2
    script = ModelAndJudge(answers, {f"回答<{i}>": reply for i, reply in enumerate(replies)})
    server = serve(script)
    result, report, _ = run(
        pytester, server, "chinese_simpleqa", f"--llm-data=chinese_simpleqa={CHINESE}"
    )
    rows_ = table(report)
    subsets = [
        "Chinese Culture",
        "Humanities & Social",
        "Engineering & Tech",
        "Life, Arts & Culture",
        "Society",
        "Nature & Science",
    ]
    for metric in ("is_correct", "is_incorrect", "is_not_attempted"):
        assert [r["subset"] for r in report["rows"] if r["metric"] == metric] == [
            *subsets,
            "OVERALL",
        ]
    # each subset holds rows 2k (correct) and 2k+1 (incorrect or not attempted)
    assert all(rows_[("is_correct", s)]["score"] == 0.5 for s in subsets)
    assert rows_[("is_correct", "OVERALL")]["score"] == 0.5
    assert rows_[("is_not_attempted", "OVERALL")]["score"] == pytest.approx(2 / 12)
    assert rows_[("is_incorrect", "OVERALL")]["score"] == pytest.approx(4 / 12)
    assert "请回答下面的问题" in script_model_prompt(server)
    assert "正确" in script.judge_prompts[0] and "未尝试" in script.judge_prompts[0]
    result.assert_outcomes(passed=6, failed=6)


def script_model_prompt(server) -> str:
    return next(last_user_text(r) for r in server.requests if r["model"] == "target")


def test_the_judge_key_is_sent_but_never_written(pytester, serve):
    script = simple_qa_script()
    seen_keys = []

    def handler(request: dict) -> Reply:
        if request["model"] == "judge":
            seen_keys.append(request["__headers__"].get("authorization"))
        return script(request)

    server = serve(handler)
    secret = "sk-judge-SECRET-4242"
    result, _, run_dir = run(
        pytester, server, "simple_qa", f"--llm-data=simple_qa={SIMPLE_QA}",
        f"--llm-judge-api-key={secret}",
    )  # fmt: skip
    assert set(seen_keys) == {f"Bearer {secret}"}
    written = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {
        "report.json",
        "report.csv",
        "samples.jsonl",
        "report.html",
    }
    assert all(secret not in p.read_text(errors="replace") for p in written)
    assert secret not in result.stdout.str() + result.stderr.str()
