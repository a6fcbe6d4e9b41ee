"""`--junitxml` for CI: failed calls are errors, wrong answers failures with their reason, each
sample carries its dataset, subset and verdict, the suite the table's scores, each gate a case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import BENCH_MODULE, aime_handler
from tests.scripted_server import Reply

ERRORED, WRONG = ("AIME2025-II", 0), ("AIME2025-I", 1)


def three_kinds(subset: str, index: int, gold: str) -> str | Reply:
    """Of --llm-limit=2: AIME2025-II-0 gets HTTP 500 for good, AIME2025-I-1 a wrong answer."""
    if (subset, index) == ERRORED:
        return Reply(status=500, error="upstream down")
    return "999" if (subset, index) == WRONG else gold


def read_junit(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.parse(path).getroot()
    (suite,) = root.iter("testsuite")
    return suite, {case.get("name"): case for case in suite.iter("testcase")}


def properties(element: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in element.findall("properties/property")}


def sample_name(sample_id: str) -> str:
    return f"test_aime25[{sample_id}]"


@pytest.fixture
def server(serve):
    return serve(aime_handler(three_kinds))


def run_with_junit(llmeval, pytester, server, *args: str, subprocess: bool = False):
    xml = pytester.path / "junit.xml"
    run = llmeval(
        server.base_url, "--llm-limit=2", "--llm-retries=0", f"--junitxml={xml}", *args,
        subprocess=subprocess,
    )  # fmt: skip
    return run, *read_junit(xml)


def check_samples(run, suite: ET.Element, cases: dict[str, ET.Element]) -> None:
    records = {r["sample_id"]: r for r in run.samples()}
    assert sorted(records) == ["AIME2025-I-0", "AIME2025-I-1", "AIME2025-II-0", "AIME2025-II-1"]
    for sample_id, record in records.items():
        case = cases[sample_name(sample_id)]
        assert case.get("classname") == BENCH_MODULE
        shown = properties(case)
        assert {key: shown[key] for key in ("dataset", "subset", "category", "verdict")} == {
            "dataset": "aime25",
            "subset": record["subset"],
            "category": "default",
            "verdict": ("error" if record["error"] else "passed" if record["passed"] else "failed"),
        }
        outcome = [node.tag for node in case if node.tag in ("failure", "error", "skipped")]
        if record["error"]:
            assert outcome == ["error"]
            assert record["error"] == "HTTP 500: upstream down"
            assert case.find("error").get("message") == "service error: HTTP 500: upstream down"
        elif not record["passed"]:
            assert outcome == ["failure"]
            assert case.find("failure").get("message") == record["reason"]
            assert record["reason"] == f"expected {record['target']}, got 999"
        else:
            assert outcome == []
    suite_props = properties(suite)
    rows = run.report()["rows"]
    assert [(r["subset"], r["num"], r["errors"]) for r in rows] == [
        ("AIME2025-I", 2, 0),
        ("AIME2025-II", 1, 1),
        ("OVERALL", 3, 1),
    ]
    for row in rows:
        value = suite_props[f"llmeval:aime25:{row['subset']}:{row['metric']}"]
        assert float(value) == row["score"]
    scores = [
        suite_props[f"llmeval:aime25:{s}:AveragePass@1"] for s in ("AIME2025-I", "AIME2025-II")
    ]
    assert [float(score) for score in scores] == [0.5, 1.0]
    assert float(suite_props["llmeval:aime25:OVERALL:AveragePass@1"]) == 2 / 3
    assert suite_props["llmeval:model"] == "scripted"


GATES = ("--llm-threshold=aime25:AIME2025-I=0.5", "--llm-threshold=aime25=0.9")
GATE_CASES = {
    "llmeval-gate[aime25:AIME2025-I]": (
        None, "aime25 AveragePass@1 AIME2025-I: 0.5 >= threshold 0.5"
    ),
    "llmeval-gate[aime25]": ("failure", "aime25 AveragePass@1 OVERALL: 0.6667 < threshold 0.9"),
    "llmeval-gate[aime25:max-error-rate]": (
        None, "aime25: 1 of 4 samples failed to run (error rate 0.25 <= --llm-max-error-rate 0.5)"
    ),
}  # fmt: skip


def check_gates(suite: ET.Element, cases: dict[str, ET.Element]) -> None:
    gates = {name: case for name, case in cases.items() if name.startswith("llmeval-gate[")}
    assert sorted(gates) == sorted(GATE_CASES)
    for name, (tag, message) in GATE_CASES.items():
        case = gates[name]
        assert case.get("classname") == "llmeval"
        if tag == "failure":
            assert case.find("failure").get("message") == message
        else:
            assert case.find("failure") is None
            assert case.find("system-out").text == message
    assert float(properties(gates["llmeval-gate[aime25]"])["measured"]) == 2 / 3
    assert properties(suite)["llmeval:gate"] == "failed"
    # 4 samples and 3 gates; 1 wrong answer and 1 gate below its threshold; 1 failed call
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "2", "1")


@pytest.mark.parametrize("family", ["xunit2", "xunit1"])
def test_samples_scores_and_gates_in_the_xml(llmeval, pytester, server, family):
    family_ini = f"junit_family={family}"
    run, suite, cases = run_with_junit(
        llmeval, pytester, server, *GATES, "--llm-max-error-rate=0.5", "-o", family_ini
    )
    assert run.ret == 1  # the OVERALL threshold fails
    run.result.assert_outcomes(passed=2, failed=1, errors=1)
    check_samples(run, suite, cases)
    check_gates(suite, cases)


def test_under_xdist_the_controller_writes_the_same(llmeval, pytester, server):
    run, suite, cases = run_with_junit(
        llmeval, pytester, server, *GATES, "--llm-max-error-rate=0.5", "-n", "2", subprocess=True
    )  # fmt: skip
    assert run.ret == 1
    assert "2 workers" in run.text
    check_samples(run, suite, cases)
    check_gates(suite, cases)


def test_a_scored_failed_call_is_still_an_error_and_no_gate_means_no_gate_case(
    llmeval, pytester, server
):
    run, suite, cases = run_with_junit(llmeval, pytester, server, "--llm-ignore-errors")
    run.result.assert_outcomes(passed=2, failed=2)  # pytest counts the scored call as failed
    errored = cases[sample_name("AIME2025-II-0")]
    assert [node.tag for node in errored if node.tag in ("failure", "error")] == ["error"]
    assert errored.find("error").get("message") == "service error: HTTP 500: upstream down"
    assert properties(errored)["verdict"] == "error"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    assert not [name for name in cases if name.startswith("llmeval-gate")]
    assert "llmeval:gate" not in properties(suite)


def test_passing_gates_pass_in_the_xml(llmeval, pytester, server):
    run, suite, cases = run_with_junit(
        llmeval, pytester, server, "--llm-threshold=aime25=0.6", "--llm-max-error-rate=0.25"
    )
    assert run.ret == 0  # the gate holds despite the wrong answer and the failed call
    gate = cases["llmeval-gate[aime25]"]
    assert gate.find("failure") is None
    assert gate.find("system-out").text == "aime25 AveragePass@1 OVERALL: 0.6667 >= threshold 0.6"
    assert properties(suite)["llmeval:gate"] == "passed"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "1", "1")


def test_max_drop_gates_are_cases_too(serve, llmeval, pytester):
    right = serve(aime_handler(lambda subset, index, gold: gold))
    base = llmeval(right.base_url, "--llm-limit=2")
    assert base.ret == 0
    worse = serve(
        aime_handler(lambda subset, index, gold: "999" if subset == "AIME2025-I" else gold)
    )
    drops = ("--llm-max-drop=aime25:AIME2025-I=0.05", "--llm-max-drop=aime25:AIME2025-II=0.05")
    run, suite, cases = run_with_junit(
        llmeval, pytester, worse, f"--llm-baseline={base.run_dir}", *drops
    )
    assert run.ret == 1
    failing = cases["llmeval-gate[max-drop:aime25:AIME2025-I]"]
    (shortfall,) = run.report()["meta"]["gate_shortfalls"]
    assert shortfall.startswith("aime25 AveragePass@1 AIME2025-I: new − baseline -1.0000")
    assert failing.find("failure").get("message") == shortfall
    passing = cases["llmeval-gate[max-drop:aime25:AIME2025-II]"]
    assert passing.find("failure") is None
    line = f"max-drop aime25:AIME2025-II=0.05: {passing.find('system-out').text}"
    assert line in run.result.outlines
    assert sorted(name for name in cases if name.startswith("llmeval-gate")) == [
        "llmeval-gate[aime25:max-error-rate]",  # any gate bounds the failed calls
        "llmeval-gate[max-drop:aime25:AIME2025-II]",
        "llmeval-gate[max-drop:aime25:AIME2025-I]",
    ]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "3", "0")
