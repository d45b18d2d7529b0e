"""Read JUnit XML (as pytest writes it) into per-test outcomes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from orchestrator.models import ERROR, FAILED, FAILING, PASSED, SKIPPED, Outcome, TestCounts

OUTCOMES = ("passed", "failed", "error", "skipped")


class JUnitError(ValueError):
    """The file is not JUnit XML we can read."""


@dataclass(frozen=True)
class Report:
    counts: TestCounts
    tests: dict[str, Outcome]  # test id -> outcome

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(t for t, outcome in self.tests.items() if outcome in FAILING)


def parse(data: bytes) -> Report:
    """Per-test outcomes from a JUnit document (``<testsuites>`` or a bare ``<testsuite>``)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise JUnitError(f"malformed JUnit XML: {exc}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JUnitError(f"not JUnit XML: root element is <{root.tag}>")
    tests: dict[str, Outcome] = {}
    for case in root.iter("testcase"):
        tests[_test_id(case)] = _outcome(case)
    counts = TestCounts(
        passed=sum(o == PASSED for o in tests.values()),
        failed=sum(o == FAILED for o in tests.values()),
        errors=sum(o == ERROR for o in tests.values()),
        skipped=sum(o == SKIPPED for o in tests.values()),
    )
    return Report(counts=counts, tests=tests)


def _test_id(case: ET.Element) -> str:
    """``tests/test_cli.py::test_greet`` style ids from pytest's classname + name."""
    classname, name = case.get("classname", ""), case.get("name", "?")
    if not classname:
        # A file that failed to collect: pytest names it as a dotted module
        # ("tests.test_cli"), while its own summary says "ERROR tests/test_cli.py".
        return _module_path(name) if _DOTTED.fullmatch(name) else name
    parts = classname.split(".")
    # pytest: "tests.test_cli" (module) or "tests.test_cli.TestThing" (class).
    # The module is the last part named like a test file (test_*.py, *_test.py,
    # pytest's defaults); failing that, the parts before the first capitalised one.
    modules = [i for i, p in enumerate(parts) if p.startswith("test_") or p.endswith("_test")]
    split = (
        modules[-1] + 1
        if modules
        else next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts))
    )
    module = "/".join(parts[:split]) + ".py" if split else ""
    return "::".join(p for p in [module, *parts[split:], name] if p)


_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _module_path(dotted: str) -> str:
    return dotted.replace(".", "/") + ".py"


_TAGS: tuple[tuple[str, Outcome], ...] = (
    ("failure", FAILED),
    ("error", ERROR),
    ("skipped", SKIPPED),
)


def _outcome(case: ET.Element) -> Outcome:
    for tag, outcome in _TAGS:
        if case.find(tag) is not None:
            return outcome
    return PASSED
