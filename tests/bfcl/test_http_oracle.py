"""BFCL v3 through the real HTTP loop: a scripted server answers every sample with its ground
truth (tool calls in FC mode, python-call text in prompt mode) and the run's table must show
what the official checker gives those answers. A bounded slice of every subset runs here; the
full 4,441-sample oracle is `bench/bfcl_oracle.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_llmeval.benchmarks.bfcl_v3.benchmark import CATEGORIES, BfclV3
from tests.bfcl.oracle import DATA_DIR, oracle_book, oracle_handler
from tests.scripted_server import Reply

pytestmark = pytest.mark.skipif(DATA_DIR is None, reason="bfcl_eval 2025.8.6.2 is not installed")

BENCHMARK_FILE = Path(__file__).parents[2] / "benchmarks" / "test_bfcl_v3.py"
SLICE = 3

# Ids whose ground truth cannot pass the official checker, with the rule that fails them
# (every v3 quirk, measured against the official checker; see test_ast_oracle.py).
LIST_QUOTES = "value_error:list/tuple"  # Java String items keep their quotes after conversion
FC_QUIRKS = {
    "simple_363": "simple_function_checker:wrong_func_name",
    "parallel_178": "parallel_function_checker_no_order:cannot_find_match",
    "parallel_multiple_12": "parallel_function_checker_no_order:cannot_find_match",
    "parallel_multiple_26": "parallel_function_checker_no_order:cannot_find_match",
    "live_simple_106-63-0": "simple_function_checker:missing_required",
    "live_simple_112-68-0": "simple_function_checker:missing_required",
    "live_multiple_507-149-4": "simple_function_checker:missing_required",
    "live_multiple_862-181-3": "simple_function_checker:unexpected_param",
    "live_multiple_964-207-0": "simple_function_checker:missing_required",
    "live_parallel_9-5-0": "parallel_function_checker_no_order:cannot_find_match",
    **{f"java_{i}": LIST_QUOTES for i in (35, 36, 65, 78, 83, 85, 86, 89, 90, 91)},
    "javascript_41": "simple_function_checker:wrong_func_name",
    # 5 question turns but 6 ground-truth turns: a real conversation is always cut short.
    "multi_turn_base_154": "multi_turn:force_terminated",
}
# Java's prompt parser drops the body of a double-brace HashMap initialiser.
PROMPT_QUIRKS = {
    **FC_QUIRKS,
    **dict.fromkeys(("java_1", "java_67", "java_68"), "value_error:dict_key"),
}
QUIRKS = {"fc": FC_QUIRKS, "prompt": PROMPT_QUIRKS}


def error_type(reason: str) -> str:
    return reason.split(": ", 1)[0]


def samples(mode: str, ids: set[str] | None = None) -> list:
    loaded = BfclV3({"llm_bfcl_mode": mode}).load(None)
    if ids is not None:
        return [s for s in loaded if s.id in ids]
    first: dict[str, list] = {}
    for sample in loaded:
        first.setdefault(sample.subset, [])
        if len(first[sample.subset]) < SLICE:
            first[sample.subset].append(sample)
    return [s for group in first.values() for s in group]


def node_ids(ids) -> list[str]:
    return [f"{BENCHMARK_FILE}::test_bfcl_v3[{sample_id}]" for sample_id in ids]


def run_oracle(pytester, serve, mode: str, chosen: list, *args: str) -> dict:
    server = serve(oracle_handler(oracle_book(chosen, mode)))
    output = pytester.path / "out"
    targets = [a for a in args if "::" in a] or [str(BENCHMARK_FILE)]
    result = pytester.runpytest_inprocess(
        *targets,
        "--llm-model=oracle",
        "--llm-sample-header",
        f"--llm-base-url={server.base_url}",
        f"--llm-bfcl-mode={mode}",
        f"--llm-output={output}",
        "--llm-no-cache",
        "-p",
        "no:randomly",
        *(a for a in args if "::" not in a),
    )
    (run_dir,) = output.iterdir()
    records = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    report = json.loads((run_dir / "report.json").read_text())
    return {"result": result, "records": records, "rows": report["rows"]}


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_ground_truth_scores_what_the_official_checker_gives(pytester, serve, mode):
    chosen = samples(mode)
    run = run_oracle(pytester, serve, mode, chosen, f"--llm-limit={SLICE}")
    quirks = {s.id: QUIRKS[mode][s.id] for s in chosen if s.id in QUIRKS[mode]}
    failed = {r["sample_id"]: error_type(r["reason"]) for r in run["records"] if not r["passed"]}
    assert failed == quirks
    rows = {(r["metric"], r["subset"]): r for r in run["rows"]}
    for subset, category in CATEGORIES.items():
        row = rows[("AverageAccuracy", subset)]
        passed = SLICE - sum(1 for s in chosen if s.subset == subset and s.id in quirks)
        expected = (SLICE, passed / SLICE, category, 0)
        assert (row["num"], row["score"], row["category"], row["errors"]) == expected
    assert rows[("AverageAccuracy", "OVERALL")]["num"] == SLICE * len(CATEGORIES)
    total = SLICE * len(CATEGORIES)
    run["result"].assert_outcomes(passed=total - len(quirks), failed=len(quirks))


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_data_quirks_fail_with_the_rule_the_official_checker_names(pytester, serve, mode):
    quirks = QUIRKS[mode]
    run = run_oracle(pytester, serve, mode, samples(mode, set(quirks)), *node_ids(quirks))
    failed = {r["sample_id"]: error_type(r["reason"]) for r in run["records"] if not r["passed"]}
    assert failed == quirks


def test_mutated_ground_truth_fails_for_the_spec_reason(pytester, serve):
    ids = {"simple_0", "multiple_0", "multi_turn_base_0"}
    book = oracle_book(samples("fc", ids), "fc")
    for reply in book.values():  # rename every call: the model calls a function that is not there
        for call in reply.tool_calls:
            call["name"] += "_x"
    server = serve(oracle_handler(book))
    output = pytester.path / "out"
    pytester.runpytest_inprocess(
        *node_ids(ids),
        "--llm-model=oracle",
        "--llm-sample-header",
        f"--llm-base-url={server.base_url}",
        f"--llm-output={output}",
        "--llm-no-cache",
    )
    (run_dir,) = output.iterdir()
    records = {
        (r := json.loads(line))["sample_id"]: r["reason"]
        for line in (run_dir / "samples.jsonl").read_text().splitlines()
    }
    assert records["simple_0"].startswith("simple_function_checker:wrong_func_name")
    assert records["multiple_0"].startswith("simple_function_checker:wrong_func_name")
    assert records["multi_turn_base_0"].startswith("multi_turn:")


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_a_hostile_model_changes_nothing_outside_the_simulated_state(
    pytester, serve, mode, tmp_path
):
    sentinel = tmp_path / "pwned"
    attacks = [
        ("cd", {"folder": f"__import__('os').system('touch {sentinel}')"}),
        ("__import__", {"name": "os"}),
        ("_load_scenario", {"scenario": {}}),
        ("eval", {"source": f"open('{sentinel}', 'w')"}),
        ("touch", {"file_name": f"../../../../{sentinel}"}),
        ("echo", {"content": "x", "file_name": str(sentinel)}),
    ]
    if mode == "fc":
        reply = Reply(
            text="", tool_calls=[{"name": n, "arguments": json.dumps(a)} for n, a in attacks]
        )
    else:
        reply = Reply(
            text=f"[{', '.join(f'{n}(**{a!r})' for n, a in attacks)}, "
            + (f"cd(folder=__import__('os').system('touch {sentinel}'))]")
        )
    replies = iter([reply] + [Reply(text="Done.")] * 50)
    server = serve(lambda request: next(replies))
    output = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        *node_ids(["multi_turn_base_0"]),
        "--llm-model=hostile",
        f"--llm-base-url={server.base_url}",
        f"--llm-bfcl-mode={mode}",
        f"--llm-output={output}",
        "--llm-no-cache",
    )
    assert not sentinel.exists()
    result.assert_outcomes(failed=1)
    (run_dir,) = output.iterdir()
    (record,) = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert error_type(record["reason"]).startswith("multi_turn:")
    # __import__, _load_scenario and eval are refused with the official error text
    if mode == "fc":
        results = [m["content"] for m in record["messages"] if m["role"] == "tool"][:6]
        assert [r.startswith("Error during execution") for r in results[1:4]] == [True] * 3
    else:
        fed_back = record["messages"][3]["content"]
        assert fed_back.startswith("[{'role': 'tool'")
        assert fed_back.count("Error during execution") >= 3


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_math_calls_that_would_run_for_hours_are_refused_and_the_run_goes_on(pytester, serve, mode):
    attacks = [
        ("power", {"base": 3, "exponent": 2000000000}),
        ("logarithm", {"value": 2, "base": 3, "precision": 50000000}),
        ("square_root", {"number": 2, "precision": 999999999}),
        ("power", {"base": 3, "exponent": 4}),
    ]
    if mode == "fc":
        reply = Reply(
            text="", tool_calls=[{"name": n, "arguments": json.dumps(a)} for n, a in attacks]
        )
    else:
        calls = (f"{n}({', '.join(f'{k}={v}' for k, v in a.items())})" for n, a in attacks)
        reply = Reply(text=f"[{', '.join(calls)}]")
    replies = iter([reply] + [Reply(text="Done.")] * 50)
    server = serve(lambda request: next(replies))
    output = pytester.path / "out"
    result = pytester.runpytest_inprocess(
        *node_ids(["multi_turn_base_15"]),
        "--llm-model=hostile",
        f"--llm-base-url={server.base_url}",
        f"--llm-bfcl-mode={mode}",
        f"--llm-output={output}",
        "--llm-no-cache",
    )
    result.assert_outcomes(failed=1)
    (run_dir,) = output.iterdir()
    (record,) = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    tool_text = json.dumps([m for m in record["messages"] if m["role"] in ("tool", "user")])
    assert tool_text.count("is larger than this harness runs") == 3
    assert "81" in tool_text  # the small power still ran
