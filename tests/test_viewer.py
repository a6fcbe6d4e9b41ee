"""The results viewer in a real browser (Debian's Chromium, driven by Playwright).

Each test writes run folders in the plugin's schema, builds the page with `write_viewer` or the
`pytest-llmeval view` command, and checks what the page shows against figures computed here
from report.json and samples.jsonl.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_llmeval.benchmarks import REGISTRY
from pytest_llmeval.benchmarks.bfcl_v3.benchmark import CATEGORIES
from pytest_llmeval.records import SampleRecord
from pytest_llmeval.reporting.files import write_reports
from pytest_llmeval.reporting.html import sample_fragment
from pytest_llmeval.reporting.rows import build_rows
from pytest_llmeval.reporting.viewer import write_viewer
from tests.conftest import aime_handler

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra brings it
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next(
    (
        path
        for path in (
            os.environ.get("CHROMIUM"),
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
            shutil.which("google-chrome"),
        )
        if path
    ),
    None,
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
MODEL = "test-model"


# ------------------------------------------------------------------ run folders in the schema


def _response(text: str = "", calls: list[tuple[str, dict]] = (), **extra: Any) -> dict:
    return {
        "text": text,
        "reasoning": extra.get("reasoning", ""),
        "tool_calls": [
            {"name": name, "arguments": json.dumps(args), "id": f"call_{i}"}
            for i, (name, args) in enumerate(calls)
        ],
        "finish_reason": extra.get("finish", "tool_calls" if calls else "stop"),
    }


def _record(dataset: str, subset: str, sample_id: str, **fields: Any) -> dict[str, Any]:
    category = CATEGORIES.get(subset, "default")
    record = {
        "nodeid": f"benchmarks/test_{dataset}.py::test_{dataset}[{sample_id}]",
        "dataset": dataset, "subset": subset, "category": category, "sample_id": sample_id,
        "repeat": 0, "messages": [], "response": _response(), "extracted": None, "target": None,
        "passed": True, "reason": "ok", "metrics": {}, "tags": [], "scored": True,
        "error": None, "error_kind": None,
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "calls": 1},
        "judge_usage": {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0},
        "latency_s": 0.5, "attempts": 1, "cached": False, "labels": {}, "extra": {},
    }  # fmt: skip
    record.update(fields)
    metric = "AverageAccuracy" if dataset == "bfcl_v3" else "AveragePass@1"
    record["metrics"] = {metric: float(record["passed"])}
    if len(sample_id) % 2:  # half the records carry the newer fields, half must be derived
        record["schema"] = 1
        record["verdict"] = (
            "error" if record["error"] else
            "refused" if "refused" in record["tags"] else
            "passed" if record["passed"] else "failed"
        )  # fmt: skip
    return record


def _single(subset: str, i: int, passed: bool, rule: str | None = None, **fields: Any) -> dict:
    sample_id = f"{subset}_{i}"
    question = f"Question {i} of {subset}: " + ("the zebra crossing" if i == 2 else "the weather")
    call = ("get_weather", {"city": f"City{i}", "days": i})
    fields.setdefault("response", _response(calls=[call]))
    return _record(
        "bfcl_v3", subset, sample_id,
        messages=[{"role": "user", "content": question}],
        target=[{"get_weather": {"city": [f"City{i}"], "days": [i]}}],
        extracted=[{"get_weather": call[1]}], passed=passed,
        reason="ok" if passed else f"{rule}: value {i} does not match",
        tags=[] if passed else [rule],
        extra={"functions_offered": ["get_weather", "get_time"]},
        functions=[{"name": "get_weather", "description": "Weather of a city.",
                    "parameters": {"type": "dict", "properties": {"city": {"type": "string"}}}}],
        **fields,
    )  # fmt: skip


def _multi_turn(subset: str, i: int, failed_turn: int | None, empty_turn: bool = False) -> dict:
    """Three turns; turn t makes t+1 calls in one step (none in a turn left empty)."""
    messages: list[dict[str, Any]] = []
    steps, target = [], []
    for turn in range(3):
        messages.append({"role": "user", "content": f"{subset} {i}: do step {turn}"})
        calls = [(f"tool_{turn}_{k}", {"path": f"/t{turn}/{k}", "n": k}) for k in range(turn + 1)]
        target.append([f"tool_{turn}_{k}(path='/t{turn}/{k}',n={k})" for k in range(turn + 1)])
        if empty_turn and turn == failed_turn:
            messages.append({"role": "assistant", "content": "I cannot do that."})
            steps.append([])
            continue
        if turn == failed_turn:
            calls = [(name, {**args, "n": 99}) for name, args in calls]
        response = _response(calls=calls)
        messages.append({
            "role": "assistant", "content": "",
            "tool_calls": [{"id": c["id"], "type": "function",
                            "function": {"name": c["name"], "arguments": c["arguments"]}}
                           for c in response["tool_calls"]],
        })  # fmt: skip
        for k, (name, _) in enumerate(calls):
            result = f"result of {name} in turn {turn}"
            if i == 0 and turn == 1:
                result += " " + HOSTILE
            messages.append({"role": "tool", "content": result, "tool_call_id": f"call_{k}"})
        messages.append({"role": "assistant", "content": f"Finished turn {turn}."})
        steps.append([[[name, args] for name, args in calls]])
    passed = failed_turn is None
    rule = "multi_turn:empty_turn_model_response" if empty_turn else "multi_turn:state_mismatch"
    extra: dict[str, Any] = {"functions_offered": ["tool_0_0"], "steps": steps, "force_quit": False}
    if failed_turn is not None and i % 2:
        extra["failed_turn"] = failed_turn  # newer records say it; older ones only in the reason
    return _record(
        "bfcl_v3", subset, f"{subset}_{i}", messages=messages, target=target, extracted=steps,
        response=_response(f"Finished turn {len(steps) - 1}."), passed=passed,
        reason="ok" if passed else f"{rule}: turn {failed_turn}: differs from ground truth",
        tags=[] if passed else [rule], extra=extra,
        usage={"prompt_tokens": 900, "completion_tokens": 90, "calls": 9},
    )  # fmt: skip


def base_records() -> list[dict[str, Any]]:
    records = []
    for i in range(12):
        rule = "value_error:string" if i % 2 == 0 else "simple_function_checker:wrong_func_name"
        fields = {"response": _response(f"Here you go: {HOSTILE}")} if i == 1 else {}
        if i == 5:  # strings that look like the page's own references must survive packing
            fields = {
                "response": _response("\x02" + "not a reference " * 20),
                "labels": {"a": "\x01" + "x" * 200, "b": ["\x02", "\x01\x02"]},
            }
        records.append(_single("simple", i, passed=i % 3 != 0, rule=rule, **fields))
        if i == 3:
            records[-1]["reason"] = f"{rule}: got {HOSTILE}"
    for i in range(12):
        if i == 5:
            records.append(_single(
                "live_multiple", i, passed=False, rule=None, error="HTTP 500: model crashed",
                error_kind="service", response=_response(),
            ))  # fmt: skip
            records[-1].update(tags=[], reason="error: HTTP 500: model crashed")
        elif i == 7:
            records.append(_single(
                "live_multiple", i, passed=False, rule="ast_decoder:decoder_failed",
                response=_response("I won't.", finish="content_filter"),
            ))  # fmt: skip
            records[-1]["tags"].append("refused")
            if "verdict" in records[-1]:
                records[-1]["verdict"] = "refused"
        else:
            records.append(_single("live_multiple", i, i % 4 != 0, "ast_decoder:decoder_failed"))
    for i in range(6):
        records.append(_single("irrelevance", i, i < 4, "irrelevance_error:decoder_success"))
    for i in range(8):
        records.append(_multi_turn("multi_turn_base", i, failed_turn=1 if i % 2 else None))
    for i in range(6):
        failing = i % 3 == 0
        records.append(
            _multi_turn("multi_turn_miss_func", i, 2 if failing else None, empty_turn=failing)
        )
    for part in ("AIME2025-I", "AIME2025-II"):
        for i in range(8):
            answer = 100 + i
            passed = i % 2 == 0
            records.append(_record(
                "aime25", part, f"{part}-{i}",
                messages=[{"role": "user", "content": f"Problem {i}: find N."}],
                response=_response(f"Long work... so N = \\boxed{{{answer if passed else 7}}}",
                                   reasoning=f"Let me think about problem {i}."),
                extracted=str(answer if passed else 7), target=str(answer), passed=passed,
                reason="ok" if passed else f"expected {answer}, got 7",
            ))  # fmt: skip
    return records


def write_run(folder: Path, records: list[dict[str, Any]], thresholds: list[str] = ()) -> Path:
    folder.mkdir(parents=True)
    with (folder / "samples.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    used = {r["dataset"]: REGISTRY.get(r["dataset"])() for r in records}
    rows = build_rows(MODEL, [SampleRecord.from_dict(r) for r in records], used)
    meta = {
        "model": {"model": MODEL, "base_url": "http://127.0.0.1:9/v1", "api_key": None,
                  "generation": {"temperature": 0.7}},
        "plugin_version": "0.1.0", "datasets": {}, "usage": {}, "started": "2026-01-01T00:00:00",
        "finished": "2026-01-01T00:01:00", "thresholds": list(thresholds),
        "gate_shortfalls": [],
    }  # fmt: skip
    write_reports(folder, rows, meta)
    return folder


def read_records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def verdict(record: dict[str, Any]) -> str:
    if record["error"]:
        return "error"
    if "refused" in record["tags"]:
        return "refused"
    return "passed" if record["passed"] else "failed"


def score_text(value: float) -> str:
    return f"{round(value, 4):.4f}".rstrip("0").rstrip(".")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run A; run B = A with flips both ways, two samples dropped and one added."""
    root = tmp_path_factory.mktemp("runs")
    a_records = base_records()
    run_a = write_run(root / "run-a", a_records, thresholds=["bfcl_v3=0.5"])
    report = json.loads((run_a / "report.json").read_text())
    for row in report["rows"]:  # error bars, as rows will carry them
        if row["score"] is not None and row["category"] != "official":
            row.update(se=0.0123, ci_low=row["score"] - 0.02, ci_high=row["score"] + 0.02)
    (run_a / "report.json").write_text(json.dumps(report))
    b_records = []
    for record in base_records():
        if record["sample_id"] in ("simple_4", "AIME2025-I-3"):
            continue  # only in A
        if record["sample_id"] in ("simple_1", "simple_2", "irrelevance_0", "AIME2025-II-2"):
            record.update(passed=False, reason="wrong-value: changed", tags=["wrong-value"])
        if record["sample_id"] in ("simple_0", "multi_turn_base_1"):
            record.update(passed=True, reason="ok", tags=[])
            record["extra"].pop("failed_turn", None)
        record.pop("verdict", None)
        record["metrics"] = {k: float(record["passed"]) for k in record["metrics"]}
        b_records.append(record)
    b_records.append(_single("simple", 99, passed=True))  # only in B
    run_b = write_run(root / "run-b", b_records)
    viewer_a = write_viewer([run_a], root / "a.html")
    viewer_ab = write_viewer([run_a, run_b], root / "ab.html")
    return {"a": run_a, "b": run_b, "viewer_a": viewer_a, "viewer_ab": viewer_ab, "root": root}


# ------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or sync_playwright is None:
        pytest.skip("no browser to drive: apt-get install chromium (and pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("request", lambda request: fetched.append(request.url))
    yield tab
    context.close()
    assert errors == []
    assert [url for url in fetched if not url.startswith(("file:", "data:", "blob:"))] == []


def open_page(page, path: Path, fragment: str = "") -> None:
    page.goto(path.resolve().as_uri() + fragment)
    page.wait_for_selector("html[data-ready]")


def shown_count(page) -> int:
    page.wait_for_timeout(30)
    return int(page.get_attribute(".count", "data-count"))


def choose(page, name: str, value: str) -> int:
    page.select_option(f'select[data-filter="{name}"]', value)
    return shown_count(page)


def search(page, text: str) -> int:
    page.fill('input[data-filter="q"]', text)
    page.wait_for_selector("html[data-records]")
    page.wait_for_function(
        "() => !/unpacking|searching/.test(document.querySelector('.count').textContent)"
    )
    return shown_count(page)


# ------------------------------------------------------------------ tests


def test_overview_table_shows_the_scores_of_the_samples(page, runs):
    records = read_records(runs["a"])
    open_page(page, runs["viewer_a"])
    cells = page.eval_on_selector_all(
        "table.seed tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    shown = {(c[1], c[2], c[3]): (int(c[4]), c[5], c[6], int(c[7])) for c in cells}
    head = page.eval_on_selector_all("table.seed thead th", "hs => hs.map(h => h.textContent)")
    assert head[-3:] == ["SE", "CI low", "CI high"]
    assert {c[8] for c in cells if c[6] != "official"} == {"0.0123"}
    groups: dict[tuple[str, str], list[dict]] = {}
    for record in records:
        groups.setdefault((record["dataset"], record["subset"]), []).append(record)
        groups.setdefault((record["dataset"], "OVERALL"), []).append(record)
    for (dataset, subset), group in groups.items():
        metric = "AverageAccuracy" if dataset == "bfcl_v3" else "AveragePass@1"
        scored = [r for r in group if r["scored"]]
        expected = statistics.fmean(float(r["passed"]) for r in scored)
        errors = sum(1 for r in group if r["error"])
        num, score, _, shown_errors = shown[dataset, metric, subset]
        assert (num, score, shown_errors) == (len(scored), score_text(expected), errors)
    official = [c for c in cells if c[6] == "official"]
    report_rows = json.loads((runs["a"] / "report.json").read_text())["rows"]
    assert [(c[3], c[5]) for c in official] == [
        (r["subset"], score_text(r["score"])) for r in report_rows if r["category"] == "official"
    ]
    charts = page.eval_on_selector_all(
        ".chart",
        "cs => cs.map(c => [c.dataset.dataset, c.dataset.metric, "
        "c.querySelectorAll('rect').length])",
    )
    per_chart = Counter((r["dataset"], r["metric"]) for r in report_rows)
    assert sorted(tuple(c[:2]) for c in charts) == sorted(per_chart)
    assert all(c[2] == per_chart[c[0], c[1]] for c in charts)
    gate = page.text_content(".card")
    assert "bfcl_v3=0.5" in gate and "pass" in gate and MODEL in gate


def test_filters_count_what_the_records_say(page, runs):
    records = read_records(runs["a"])
    open_page(page, runs["viewer_a"], "#view=samples")
    assert shown_count(page) == len(records)
    bfcl = [r for r in records if r["dataset"] == "bfcl_v3"]
    assert choose(page, "ds", "bfcl_v3") == len(bfcl)
    simple = [r for r in bfcl if r["subset"] == "simple"]
    assert choose(page, "sub", "simple") == len(simple)
    assert choose(page, "ver", "failed") == sum(verdict(r) == "failed" for r in simple)
    choose(page, "sub", "")
    for name in ("error", "refused", "passed", "failed"):
        assert choose(page, "ver", name) == sum(verdict(r) == name for r in bfcl), name
    choose(page, "ver", "")
    rule = "value_error:string"
    assert choose(page, "rule", rule) == sum(rule in r["tags"] for r in bfcl)
    choose(page, "rule", "")
    assert choose(page, "cat", "MULTI_TURN") == sum(r["category"] == "MULTI_TURN" for r in bfcl)
    choose(page, "cat", "")
    choose(page, "ds", "")
    # free text over prompts and responses: "zebra" is in the prompts of the *_2 samples,
    # "\boxed{7}" in the wrong AIME answers
    assert search(page, "ZEBRA") == sum("zebra" in json.dumps(r["messages"]) for r in records)
    boxed = sum("boxed{7}" in r["response"]["text"] for r in records)
    assert search(page, "boxed{7}") == boxed > 0
    assert search(page, "result of tool_2_1") == sum(
        any("result of tool_2_1" in str(m.get("content")) for m in r["messages"]) for r in records
    )
    search(page, "")
    # the state is in the fragment: a reload shows the same list
    choose(page, "sub", "live_multiple")
    choose(page, "ver", "failed")
    # the fragment follows 120 ms later, and an earlier step may have left ver=failed in it
    page.wait_for_function(
        "() => location.hash.includes('sub=live_multiple') && location.hash.includes('ver=failed')"
    )
    page.reload()
    page.wait_for_selector("html[data-ready]")
    expected = sum(r["subset"] == "live_multiple" and verdict(r) == "failed" for r in records)
    assert shown_count(page) == expected
    page.click('.lhead [data-sort="lat"]')
    assert shown_count(page) == expected


def test_every_record_reads_back_as_written(page, runs):
    """The page's deduplicated, deflated copy of each record is the record."""
    open_page(page, runs["viewer_ab"])
    for position, run in enumerate((runs["a"], runs["b"])):
        expected = {(r["dataset"], r["sample_id"]): r for r in read_records(run)}
        shown = page.evaluate(f"window.llmeval.allRecords({position})")
        assert {(r["dataset"], r["sample_id"]): r for r in shown} == expected


def test_the_list_draws_only_the_rows_in_view(page, tmp_path):
    records = [
        _single("simple", i, passed=i % 3 != 0, rule="value_error:string") for i in range(3000)
    ]
    viewer = write_viewer([write_run(tmp_path / "big", records)], tmp_path / "big.html")
    open_page(page, viewer, "#view=samples")
    assert shown_count(page) == 3000
    assert page.locator(".vrow").count() < 100
    page.eval_on_selector(".vlist", "l => { l.scrollTop = l.scrollHeight; }")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.vrow')].some(r => r.dataset.key === "
        "'bfcl_v3/simple_2999/r0' && r.style.display !== 'none')"
    )
    assert page.locator(".vrow").count() < 100


def test_flips_between_two_runs(page, runs):
    a = {(r["dataset"], r["sample_id"], r["repeat"]): r for r in read_records(runs["a"])}
    b = {(r["dataset"], r["sample_id"], r["repeat"]): r for r in read_records(runs["b"])}
    joined = [k for k in a if k in b]
    ab = {k for k in joined if a[k]["passed"] and not b[k]["passed"]}
    ba = {k for k in joined if not a[k]["passed"] and b[k]["passed"]}
    only_a, only_b = set(a) - set(b), set(b) - set(a)
    assert ab and ba and only_a and only_b
    open_page(page, runs["viewer_ab"])
    total = page.eval_on_selector(
        "table.flips tr.overall", "r => [...r.cells].slice(2).map(c => c.textContent)"
    )
    assert total == [str(len(joined)), str(len(ab)), str(len(ba)), str(len(only_a)),
                     str(len(only_b))]  # fmt: skip
    deltas = page.eval_on_selector_all(
        "table.compare tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
    )
    simple = next(d for d in deltas if d[1] == "AverageAccuracy" and d[2] == "simple")
    score = {
        name: statistics.fmean(
            float(r["passed"]) for k, r in run.items() if k[1].startswith("simple_")
        )
        for name, run in (("a", a), ("b", b))
    }
    assert simple[4] == score_text(score["a"]) and simple[6] == score_text(score["b"])
    assert float(simple[7]) == pytest.approx(score["b"] - score["a"], abs=1e-4)

    def keys_listed() -> set[tuple[str, str, int]]:
        keys = page.eval_on_selector_all(
            ".vrow", "rs => rs.filter(r => r.style.display !== 'none').map(r => r.dataset.key)"
        )
        return {(k.split("/")[0], k.split("/")[1], int(k.split("/r")[-1])) for k in keys}

    open_page(page, runs["viewer_ab"], "#view=samples&cmp=1")
    for flip, expected in (("ab", ab), ("ba", ba), ("onlyA", only_a), ("onlyB", only_b)):
        assert choose(page, "flip", flip) == len(expected), flip
        assert keys_listed() == expected, flip
    assert choose(page, "flip", "changed") == len(ab | ba)
    # per subset: the overview's counts for one subset
    choose(page, "flip", "ab")
    assert choose(page, "sub", "simple") == sum(k[1].startswith("simple_") for k in ab)
    # a flip opened side by side
    key = sorted(k for k in ab if k[1].startswith("simple_"))[0]
    page.click(f'.vrow[data-key="{key[0]}/{key[1]}/r{key[2]}"]')
    page.wait_for_selector(".sides .sample")
    sides = page.eval_on_selector_all(
        ".sides .sample .shead .badge", "bs => bs.map(b => b.textContent)"
    )
    assert sides == ["passed", verdict(b[key])]
    # a sample that only one run has is shown as absent on the other side
    only = sorted(only_a)[0]
    page.evaluate(f"location.hash = '#view=samples&cmp=1&sample={only[0]}/{only[1]}/r{only[2]}'")
    page.wait_for_selector(".sides .absent")
    assert "Absent from #2" in page.text_content(".sides .absent")


def test_multi_turn_sample_opened_by_its_link(page, runs):
    records = {r["sample_id"]: r for r in read_records(runs["a"])}
    for sample_id, failing in (("multi_turn_base_1", 1), ("multi_turn_miss_func_0", 2)):
        record = records[sample_id]
        open_page(page, runs["viewer_a"], f"#sample=bfcl_v3/{sample_id}/r0")
        page.wait_for_selector(f'.sample[data-key="bfcl_v3/{sample_id}/r0"]')
        turns = page.eval_on_selector_all(
            ".turn",
            """ts => ts.map(t => ({
                turn: Number(t.dataset.turn), failing: t.classList.contains('failing'),
                model: [...t.querySelectorAll('.model-calls pre.call')].map(p => p.textContent),
                truth: [...t.querySelectorAll('.truth-calls pre.call')].map(p => p.textContent),
                results: [...t.querySelectorAll('.msg.tool pre.text')].map(p => p.textContent),
                calls: [...t.querySelectorAll('.msg.assistant .tc .fn')].map(p => p.textContent),
                users: [...t.querySelectorAll('.msg.user pre.text')].map(p => p.textContent)}))""",
        )
        assert [t["turn"] for t in turns] == [0, 1, 2]
        assert [t["turn"] for t in turns if t["failing"]] == [failing]
        for turn, shown in zip(range(3), turns):
            steps = record["extra"]["steps"][turn]
            expected_calls = [
                name + "(" + ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items()) + ")"
                for step in steps
                for name, args in step
            ]
            assert shown["model"] == expected_calls
            assert shown["truth"] == record["target"][turn]
            assert shown["calls"] == [name for step in steps for name, _ in step]
            assert shown["users"] == [
                f"{record['subset']} {record['sample_id'][-1]}: do step {turn}"
            ]
            user_at = [k for k, m in enumerate(record["messages"]) if m["role"] == "user"] + [
                len(record["messages"])
            ]
            tool_results = [
                m["content"]
                for m in record["messages"][user_at[turn] : user_at[turn + 1]]
                if m["role"] == "tool"
            ]
            assert shown["results"] == tool_results
    assert page.evaluate("location.hash").startswith("#sample=bfcl_v3/multi_turn_miss_func_0")


def test_hostile_text_is_shown_and_never_runs(page, runs):
    for sample in ("simple_1", "simple_3", "multi_turn_base_0"):
        open_page(page, runs["viewer_a"], f"#sample=bfcl_v3/{sample}/r0")
        page.wait_for_selector(f'.sample[data-key="bfcl_v3/{sample}/r0"]')
        page.click(".sample details.raw summary")
        page.wait_for_selector(".sample details.raw pre")
        assert HOSTILE in page.inner_text(".detailpane")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator(".detailpane img, .detailpane script").count() == 0
    open_page(page, runs["viewer_a"], "#view=samples&ver=failed")
    assert HOSTILE in page.inner_text(".vlist")  # the reason column of simple_3
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_sample_link_opens_that_sample_whatever_its_id(page, tmp_path):
    ids = ["a b", "x+y", "q&sample=z", "h#1", "50%", "dir/name", "ünï", "simple_1"]
    records = []
    for i, sample_id in enumerate(ids):
        record = _single("simple", i, passed=bool(i % 2), rule="wrong-value")
        record.update(sample_id=sample_id, nodeid=f"t.py::t[{sample_id}]")
        records.append(record)
    viewer = write_viewer([write_run(tmp_path / "run", records)], tmp_path / "viewer.html")
    for record in records:
        page.goto("about:blank")
        open_page(page, viewer, sample_fragment(SampleRecord.from_dict(record)))
        page.wait_for_selector(".sample[data-key]")
        assert page.get_attribute(".sample", "data-key") == f"bfcl_v3/{record['sample_id']}/r0"


def assert_cells_under_header(page, rows: int) -> None:
    """pytest-html's `rows` result rows each draw their cells where the header draws its own."""
    boxes = "cs => cs.map(c => [c.getBoundingClientRect().left, c.getBoundingClientRect().width])"
    header = page.eval_on_selector_all("#results-table thead th", boxes)
    drawn = page.locator("#results-table > tbody.results-table-row").all()
    assert len(drawn) == rows
    for row in drawn:
        assert row.locator("tr.collapsible > td").evaluate_all(boxes) == header


def test_report_html_links_each_sample_to_the_viewer(page, serve, llmeval):
    """pytest-html's page: one line per sample, whose link opens that sample in viewer.html."""
    server = serve(aime_handler(lambda subset, index, gold: "999" if index == 1 else gold))
    run = llmeval(server.base_url, "--llm-limit=2")
    records = {r["sample_id"]: r for r in run.samples()}
    page.goto((run.run_dir / "report.html").as_uri())
    page.wait_for_selector(".llmeval-sample a")
    lines = page.eval_on_selector_all(
        ".llmeval-sample", "ls => ls.map(l => [l.textContent, l.querySelector('a').href])"
    )
    viewer = (run.run_dir / "viewer.html").as_uri()
    expected = {
        viewer + f"#sample=aime25/{sample_id}/r0": " · ".join(
            [r["verdict"], r["reason"], f"{r['latency_s']:.2f} s, 15 tokens", "open in the viewer"]
        )
        for sample_id, r in records.items()
    }
    assert {href: text for text, href in lines} == expected
    boxes = page.eval_on_selector_all(
        ".logwrapper", "ws => ws.map(w => getComputedStyle(w).display)"
    )  # pytest-html's empty log box under each sample's line is not drawn
    assert boxes == ["none"] * len(records)
    # each row is laid out only when it scrolls into view, in columns under the header's
    row_boxes = "#results-table > tbody.results-table-row"
    skippable = page.eval_on_selector_all(
        row_boxes, "bs => bs.map(b => getComputedStyle(b).contentVisibility)"
    )
    assert skippable == ["auto"] * len(records)
    assert_cells_under_header(page, len(records))
    # no media in the run: the row template makes no <img> or <video> (pytest-html#684)
    assert page.locator("#results-table img, #results-table video").count() == 0
    failed_row = page.locator("tbody.results-table-row.failed").first
    failed_row.locator(".col-result").click()  # pytest-html's toggle still works
    assert "hidden" in failed_row.locator(".extras-row").get_attribute("class")
    assert sorted(r["sample_id"] for r in records.values() if not r["passed"]) == [
        "AIME2025-I-1",
        "AIME2025-II-1",
    ]
    wrong = viewer + "#sample=aime25/AIME2025-II-1/r0"
    page.goto(wrong)
    page.wait_for_selector('.sample[data-key="aime25/AIME2025-II-1/r0"]')
    assert records["AIME2025-II-1"]["reason"] in page.inner_text(".detailpane")


def test_report_html_keeps_a_column_a_conftest_adds_under_its_header(
    page, serve, llmeval, pytester
):
    pytester.makeconftest(
        """
        def pytest_html_results_table_header(cells):
            cells.insert(1, "<th>Note</th>")

        def pytest_html_results_table_row(report, cells):
            cells.insert(1, "<td>a note</td>")
        """
    )
    server = serve(aime_handler(lambda subset, index, gold: gold))
    run = llmeval(server.base_url, "--llm-limit=2")
    page.goto((run.run_dir / "report.html").as_uri())
    page.wait_for_selector("#results-table tbody.results-table-row")
    assert page.inner_text("#results-table thead th:nth-child(2)") == "Note"
    assert_cells_under_header(page, len(run.samples()))


PIXEL = (  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_report_html_keeps_its_media_viewer_when_a_test_attaches_an_image(
    page, serve, llmeval, pytester
):
    pytester.makepyfile(
        test_picture=f"""
        from pytest_html import extras as html_extras

        def test_with_a_picture(extras):
            extras.append(html_extras.png("{PIXEL}", name="pixel"))
        """
    )
    server = serve(aime_handler(lambda subset, index, gold: gold))
    run = llmeval(server.base_url, "--llm-limit=1")
    page.goto((run.run_dir / "report.html").as_uri())
    page.wait_for_selector(".llmeval-sample", state="attached")
    picture = page.locator("tbody.results-table-row", has_text="test_with_a_picture")
    image = picture.locator(".media img")
    assert image.get_attribute("src").endswith(".png")
    image.evaluate("img => img.decode()")  # the picture loads: the media viewer is whole
    assert image.evaluate("img => img.naturalWidth") == 1
    assert page.locator(".llmeval-sample").count() == 2


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest_llmeval", "view", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_cli_writes_the_viewer_of_two_runs_and_prints_its_path(runs):
    output = runs["root"] / "cli" / "both.html"
    done = _cli(str(runs["a"]), str(runs["b"]), "--no-open", "--output", str(output))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == str(output)
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    single = _cli(str(runs["a"]), "--no-open")
    assert single.returncode == 0
    assert single.stdout.strip() == str(runs["a"] / "viewer.html")
    assert (runs["a"] / "viewer.html").is_file()


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "broken"
    write_run(broken, base_records()[:3])
    with (broken / "samples.jsonl").open("a") as out:
        out.write("{not json\n")
    unreadable = tmp_path / "unreadable"
    write_run(unreadable, base_records()[:3])
    (unreadable / "report.json").write_text("[1, 2")
    cases = {
        str(tmp_path / "missing"): "no such run folder",
        str(tmp_path / "empty"): "no report.json",
        str(broken): "line 4 is not JSON",
        str(unreadable): "report.json: unreadable",
    }
    for folder, message in cases.items():
        done = _cli(folder, "--no-open")
        assert done.returncode == 2, done
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


def test_the_viewer_reads_and_packs_a_run_with_the_garbage_collector_paused(tmp_path):
    """Thousands of records are acyclic data: a collection while they are read walks them all
    again for nothing. None may start while the page is built; the collector is on after."""
    import gc

    records = [_single("simple", i, i % 3 != 0) for i in range(3000)]
    folder = write_run(tmp_path / "run", records)
    started = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        write_viewer([folder], tmp_path / "viewer.html")
    finally:
        gc.callbacks.remove(watch)
    assert len(started) <= 1  # the page written, after the pause; without it, over a hundred
    assert gc.isenabled()
