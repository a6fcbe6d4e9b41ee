"""JUnit XML for CI (`--junitxml`): failed calls as errors, reasons as messages, scores, gates.

pytest's junitxml plugin writes one <testcase> per item. Each sample item carries the
properties dataset, subset, category, verdict and reason (in `item.user_properties`, so they
travel with the report from xdist workers). Once pytest has written the file, in the process
that saw every report, it is rewritten: a sample whose call failed (service, judge, harness)
is an <error> even when --llm-ignore-errors scored it, a wrong answer's <failure> message is its
one-line reason, the suite's properties hold the summary table's scores
(`llmeval:DATASET:SUBSET:METRIC`), and each gate is a test case of its own
(`llmeval-gate[bfcl_v3:live_simple]`) with the measured figure in its message.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..records import reason_line

if TYPE_CHECKING:
    from .controller import Controller

SAMPLE_PROPERTIES = ("dataset", "subset", "category", "verdict", "reason")
GATE_CLASS = "llmeval"


def sample_properties(record: dict[str, Any]) -> list[tuple[str, str]]:
    """What each sample's <testcase> carries as <property> elements."""
    verdict = record.get("verdict") or ("passed" if record.get("passed") else "failed")
    reason = reason_line(
        str(record.get("reason") or ""), record.get("error"), record.get("error_kind")
    )
    values = {**record, "verdict": verdict, "reason": reason}
    return [(name, str(values.get(name) or "")) for name in SAMPLE_PROPERTIES]


@dataclass(frozen=True)
class GateCase:
    """One gate as a test case: `llmeval-gate[NAME]`, failed or passed, and its line."""

    name: str
    failed: bool
    message: str
    value: float | None = None


def gate_cases(controller: Controller) -> list[GateCase]:
    """Thresholds and error-rate bounds, then max-drop gates against the baseline."""
    if controller.gate_lines is None:
        return []
    cases = [GateCase(c.name, c.failed, c.message, c.value) for c in controller.threshold_checks]
    comparison = controller.comparison
    for gate in controller.gates.max_drops:
        name = "max-drop:" + ":".join(p.strip() for p in gate.text.partition("=")[0].split(":"))
        checks = comparison.checks if comparison is not None else ()
        check = next((c for c in checks if c.gate.text == gate.text), None)
        if check is None:
            cases.append(GateCase(name, True, f"{gate.text}: not compared (no sample recorded)"))
        else:
            cases.append(GateCase(name, check.failed, check.message, check.upper))
    return cases


def rewrite(path: Path, controller: Controller) -> None:
    """The file pytest wrote, with our errors, messages, suite properties and gate cases."""
    tree = ET.parse(path)
    root = tree.getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return
    for case in suite.iter("testcase"):
        _sample_case(case, suite)
    properties = suite.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        suite.insert(0, properties)
    for name, value in suite_properties(controller):
        properties.append(ET.Element("property", name=name, value=value))
    for gate in gate_cases(controller):
        suite.append(_gate_case(gate))
        _count(suite, "tests", 1)
        if gate.failed:
            _count(suite, "failures", 1)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def suite_properties(controller: Controller) -> list[tuple[str, str]]:
    """The summary table's scores, and the gate's verdict when there is one."""
    model = controller.run_config.endpoint.model or ""
    pairs = [("llmeval:model", model)]
    pairs += [
        (f"llmeval:{r.dataset}:{r.subset}:{r.metric}", "" if r.score is None else repr(r.score))
        for r in controller.rows
    ]
    if controller.gate_lines is not None:
        pairs.append(("llmeval:gate", "failed" if controller.gate_lines else "passed"))
    return pairs


def _sample_case(case: ET.Element, suite: ET.Element) -> None:
    props = {p.get("name"): p.get("value") for p in case.iterfind("properties/property")}
    if "verdict" not in props:
        return  # not a sample
    reason = props.get("reason") or ""
    for node in case:
        if node.tag not in ("failure", "error"):
            continue
        if props["verdict"] == "error" and node.tag == "failure":  # scored by --llm-ignore-errors
            node.tag = "error"
            _count(suite, "failures", -1)
            _count(suite, "errors", 1)
        if reason:
            node.set("message", reason)


def _gate_case(gate: GateCase) -> ET.Element:
    case = ET.Element(
        "testcase", classname=GATE_CLASS, name=f"llmeval-gate[{gate.name}]", time="0.000"
    )
    if gate.value is not None:
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="measured", value=repr(gate.value))
    if gate.failed:
        ET.SubElement(case, "failure", message=gate.message).text = gate.message
    else:
        ET.SubElement(case, "system-out").text = gate.message
    return case


def _count(suite: ET.Element, name: str, delta: int) -> None:
    suite.set(name, str(int(suite.get(name, "0")) + delta))


class JunitReport:
    """Registered in the process that sees every report when --junitxml is given."""

    def __init__(self, controller: Controller) -> None:
        self._controller = controller

    @pytest.hookimpl(trylast=True)  # after the controller's rows and pytest's own file
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from _pytest.junitxml import xml_key

        xml = session.config.stash.get(xml_key, None)
        path = Path(xml.logfile) if xml is not None else None
        if path is not None and path.is_file():
            rewrite(path, self._controller)
