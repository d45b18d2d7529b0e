"""Read JUnit XML (as pytest writes it) into per-test outcomes, and why each failing
test failed: the exception type, its message and where it was raised."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from orchestrator.models import (
    ERROR,
    FAILED,
    FAILING,
    PASSED,
    SKIPPED,
    Failure,
    Outcome,
    TestCounts,
)

OUTCOMES = ("passed", "failed", "error", "skipped")
# pytest's long representation ends each traceback entry with ``path:line: ExcType``;
# the last such line is where the exception was raised.
_RAISED_AT = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+): (?P<type>[A-Za-z_][\w.]*)\s*$")
# ``E   TypeError: message`` lines of pytest, ``TypeError: message`` of a traceback.
_EXCEPTION = re.compile(
    r"^(?:E\s+)?(?P<type>(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|"
    r"Warning|Failure|Fault|Timeout))(?::\s*(?P<message>.*))?$"
)
_SITE = re.compile(r"^.*/(?:site|dist)-packages/")
LOG_TAIL_BYTES = 256 * 1024  # how much of a log's end is searched for its last exception


class JUnitError(ValueError):
    """The file is not JUnit XML we can read."""


@dataclass(frozen=True)
class Report:
    counts: TestCounts
    tests: dict[str, Outcome]  # test id -> outcome
    failures: dict[str, Failure] = field(default_factory=dict)  # failing test id -> why

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
    failures: dict[str, Failure] = {}
    for case in root.iter("testcase"):
        test, outcome = _test_id(case), _outcome(case)
        tests[test] = outcome
        if outcome in FAILING:
            element = case.find("failure" if outcome == FAILED else "error")
            if element is not None:
                failures[test] = failure(element)
        else:
            failures.pop(test, None)
    counts = TestCounts(
        passed=sum(o == PASSED for o in tests.values()),
        failed=sum(o == FAILED for o in tests.values()),
        errors=sum(o == ERROR for o in tests.values()),
        skipped=sum(o == SKIPPED for o in tests.values()),
    )
    return Report(counts=counts, tests=tests, failures=failures)


def failure(element: ET.Element) -> Failure:
    """Why a test failed, from its ``<failure>``/``<error>`` element: the ``type`` and
    ``message`` attributes, else the traceback's ``E`` lines; the place from the last
    ``path:line: Type`` line of the traceback."""
    text = element.text or ""
    lines = text.splitlines()
    raised = next((m for m in map(_RAISED_AT.match, reversed(lines)) if m), None)
    message = element.get("message", "")
    kind = element.get("type", "")
    found = _last_exception(lines)
    if not message and found is not None:
        message = found.message
    if not kind or kind in ("pytest.fail", "failure", "error"):
        kind = (raised["type"] if raised else "") or (found.type if found else "")
    if kind and message.startswith(f"{kind}: "):
        message = message[len(kind) + 2 :]
    # An installed package's path names the interpreter; from site-packages on it does not.
    where = f"{_SITE.sub('', raised['file'])}:{raised['line']}" if raised else ""
    return Failure.of(kind, message, where)


def last_exception(log: bytes | str) -> Failure | None:
    """The last exception line of a log (``TypeError: ...``), for a suite without a
    JUnit report; None when it holds none."""
    text = log if isinstance(log, str) else log[-LOG_TAIL_BYTES:].decode("utf-8", "replace")
    return _last_exception(text[-LOG_TAIL_BYTES:].splitlines())


def _last_exception(lines: list[str]) -> Failure | None:
    for line in reversed(lines):
        match = _EXCEPTION.match(line.strip())
        if match:
            return Failure.of(match["type"], match["message"] or "")
    return None


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
