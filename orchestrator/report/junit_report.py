"""The merged JUnit report: one ``<testsuite>`` per cell (named by the cell id), for
CI dashboards that already read JUnit XML.

Each test keeps its outcome, and the failure message says what the verdict made of
it (regression, pre-existing, no baseline). Flaky tests count as passed, with a
``flaky`` property and a ``<system-out>`` note. A cell without per-test data - or
one that errored, timed out, was infeasible or did not run - gets one testcase
(classname ``oxzep7.cell``) that carries the cell's own status.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from orchestrator.models import (
    ERROR,
    FAILED,
    FAILING,
    FLAKY,
    INFEASIBLE,
    NOT_RUN,
    PASSED,
    SKIPPED,
    TIMEOUT,
    CellResult,
)
from orchestrator.report import Results
from orchestrator.results import coerce
from orchestrator.sanitize import clean, first_line
from orchestrator.verdict import CellVerdict, Verdict
from orchestrator.verdict.clusters import UNKNOWN

CELL_CLASSNAME = "oxzep7.cell"
# Characters XML 1.0 cannot hold at all (log tails carry ANSI escapes, NULs, ...).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(results: Results, verdict: Verdict) -> str:
    """The whole report as an XML document."""
    raw = coerce(results).by_id
    root = ET.Element("testsuites", name=_xml(f"oxzep7: {verdict.name}"))
    # Plan order (results.json order, then cells not run) reads like the matrix file.
    order = [*raw, *(c.id for c in verdict.cells if c.id not in raw)]
    for cell_id in order:
        root.append(suite(verdict.cell(cell_id), raw.get(cell_id), verdict))
    _total(root, root.findall("testsuite"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def suite(cell: CellVerdict, raw: CellResult | None, verdict: Verdict) -> ET.Element:
    """One cell as a ``<testsuite>``: its properties, its tests, and a cell-level
    testcase when the tests alone do not tell its status."""
    element = ET.Element("testsuite", name=_xml(cell.id))
    properties = ET.SubElement(element, "properties")
    first_bad = [(f"first_bad.{f.axis}", f.text) for f in verdict.first_bad if f.cell == cell.id]
    for name, value in [*_properties(cell, raw), *first_bad]:
        ET.SubElement(properties, "property", name=_xml(name), value=_xml(value))
    tests = raw.outcomes if raw and cell.per_test else {}
    for test, outcome in tests.items():
        element.append(testcase(test, outcome, cell, verdict))
    if not tests or cell.status not in (PASSED, FAILED):
        element.append(cell_testcase(cell, raw))
    _total(element, element.findall("testcase"))
    element.set("time", f"{raw.duration if raw else 0:.3f}")
    return element


def testcase(test: str, outcome: str, cell: CellVerdict, verdict: Verdict) -> ET.Element:
    """One test of one cell; the failure message says what the verdict made of it."""
    classname, name = split_test_id(test)
    case = ET.Element("testcase", classname=_xml(classname), name=_xml(name))
    if outcome in FAILING:
        tag = "failure" if outcome == FAILED else "error"
        element = ET.SubElement(case, tag, message=_xml(_failure_message(test, cell, verdict)))
        signature = cell.signature_of(test)
        if signature and signature != UNKNOWN:
            element.set("type", _xml(signature.partition(":")[0]))
            element.text = _xml(signature)
    elif outcome == SKIPPED:
        ET.SubElement(case, "skipped")
    elif outcome == FLAKY:
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="flaky", value="true")
        out = ET.SubElement(case, "system-out")
        out.text = "flaky: failed, then passed on a retry (counted as passed, never a regression)"
    return case


def cell_testcase(cell: CellVerdict, raw: CellResult | None) -> ET.Element:
    """A testcase standing for the whole cell, reflecting its status."""
    case = ET.Element("testcase", classname=CELL_CLASSNAME, name=_xml(cell.id))
    full = raw.message if raw else ""
    message = _xml(cell.reason or first_line(full) or cell.status)
    detail = _xml(full, multiline=True)
    if cell.status in (INFEASIBLE, NOT_RUN):
        ET.SubElement(case, "skipped", message=message)
    elif cell.status in (ERROR, TIMEOUT):
        ET.SubElement(case, "error", message=message, type=cell.status).text = detail or None
    elif cell.status == FAILED:
        text = "; ".join(cell.notes) if cell.safe else message
        ET.SubElement(case, "failure", message=_xml(text)).text = detail or None
    return case


def split_test_id(test: str) -> tuple[str, str]:
    """pytest's ``tests/test_cli.py::TestX::test_y`` as JUnit's classname
    ``tests.test_cli.TestX`` and name ``test_y`` (how pytest itself writes them)."""
    path, bracket, params = test.partition("[")  # parameters may hold "::" themselves
    if "::" not in path:
        return "", test
    *parents, name = path.split("::")
    module = parents[0].removesuffix(".py").replace("/", ".").replace("\\", ".")
    return ".".join([module, *parents[1:]]), name + bracket + params


def _failure_message(test: str, cell: CellVerdict, verdict: Verdict) -> str:
    regression = next((r for r in cell.regressions if r.test == test), None)
    if regression is not None:
        note = f"; {regression.note}" if regression.note else ""
        return f"regression against the baseline {verdict.baseline}{note}"
    if test in cell.pre_existing:
        if cell.baseline:
            return "fails in the baseline (pre-existing)"
        return f"pre-existing: fails in the baseline {verdict.baseline} too"
    if not verdict.comparable:
        return "failing; no usable baseline to compare with"
    return "failing; " + (cell.reason or "not compared with the baseline")


def _properties(cell: CellVerdict, raw: CellResult | None) -> list[tuple[str, str]]:
    found = [(f"axis.{axis}", value) for axis, value in cell.axes.items()]
    found += [
        ("status", cell.status),
        ("safe", str(cell.safe).lower()),
        ("baseline", str(cell.baseline).lower()),
    ]
    if cell.reason:
        found.append(("reason", cell.reason))
    if cell.end_of_life:
        found.append(("python.end_of_life", cell.end_of_life))
        found.append(("python.supported", str(not cell.unsupported).lower()))
    if raw and raw.image:
        found.append(("image", raw.image))
    return found


def _total(element: ET.Element, children: list[ET.Element]) -> None:
    """Set the tests/failures/errors/skipped attributes from ``children`` (testcases
    or testsuites)."""
    if element.tag == "testsuites":
        for key in ("tests", "failures", "errors", "skipped"):
            element.set(key, str(sum(int(c.get(key, "0")) for c in children)))
        element.set("time", f"{sum(float(c.get('time', '0')) for c in children):.3f}")
        return
    element.set("tests", str(len(children)))
    for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        element.set(key, str(sum(c.find(tag) is not None for c in children)))


def _xml(text: str, *, multiline: bool = False) -> str:
    """Text for an XML document: cleaned of control sequences and characters (so the
    file is safe to print), and any character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", clean(text, multiline=multiline))
