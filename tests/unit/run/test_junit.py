"""junit.parse: pytest's JUnit XML -> per-test outcomes and counts."""

from __future__ import annotations

import pytest

from orchestrator.models import TestCounts
from orchestrator.run import junit

CASES = b"""
    <testcase classname="tests.test_x" name="test_a" time="0.01"/>
    <testcase classname="tests.test_x.TestK" name="test_b" time="0.01">
      <failure message="assert 1 == 2">assert 1 == 2</failure>
    </testcase>
    <testcase classname="tests.test_x" name="test_c" time="0.01">
      <error message="fixture boom">boom</error>
    </testcase>
    <testcase classname="tests.test_x" name="test_d[1-a]" time="0.0">
      <skipped type="pytest.skip" message="not here">skip</skipped>
    </testcase>
    <testcase classname="tests.sub.test_y" name="test_e" time="0.01"/>
"""
SUITE = b'<testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">%s</testsuite>'
EXPECTED = {
    "tests/test_x.py::test_a": "passed",
    "tests/test_x.py::TestK::test_b": "failed",
    "tests/test_x.py::test_c": "error",
    "tests/test_x.py::test_d[1-a]": "skipped",
    "tests/sub/test_y.py::test_e": "passed",
}


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0" encoding="utf-8"?><testsuites>' + SUITE % CASES + b"</testsuites>",
        SUITE % CASES,
    ],
    ids=["testsuites-root", "bare-testsuite-root"],
)
def test_parse_pytest_report(document):
    report = junit.parse(document)
    assert report.tests == EXPECTED
    assert report.counts == TestCounts(passed=2, failed=1, errors=1, skipped=1)
    assert report.counts.total == 5
    assert report.failing == ("tests/test_x.py::TestK::test_b", "tests/test_x.py::test_c")


def test_cases_from_several_suites_are_all_read():
    document = b"<testsuites>%s%s</testsuites>" % (
        SUITE % b'<testcase classname="tests.test_a" name="test_1"/>',
        SUITE % b'<testcase classname="tests.test_b" name="test_2"><failure/></testcase>',
    )
    report = junit.parse(document)
    assert report.tests == {
        "tests/test_a.py::test_1": "passed",
        "tests/test_b.py::test_2": "failed",
    }
    assert report.counts == TestCounts(passed=1, failed=1)


def test_nested_test_classes():
    report = junit.parse(SUITE % b'<testcase classname="tests.test_x.TestK.TestInner" name="t"/>')
    assert list(report.tests) == ["tests/test_x.py::TestK::TestInner::t"]


def test_testcase_without_classname_uses_its_name():
    assert list(junit.parse(SUITE % b'<testcase name="lonely"/>').tests) == ["lonely"]


def test_empty_suite_counts_zero():
    report = junit.parse(b'<testsuites><testsuite name="pytest" tests="0"/></testsuites>')
    assert report.tests == {}
    assert report.counts == TestCounts()
    assert report.failing == ()


@pytest.mark.parametrize(
    "document",
    [b"", b"<testsuites>", b"not xml at all", b"<testsuite><testcase></testsuite>"],
    ids=["empty", "unclosed", "text", "mismatched"],
)
def test_malformed_xml_raises_junit_error(document):
    with pytest.raises(junit.JUnitError, match="malformed"):
        junit.parse(document)


@pytest.mark.parametrize("document", [b"<html><body/></html>", b"<testcase name='x'/>"])
def test_non_junit_root_raises_junit_error(document):
    with pytest.raises(junit.JUnitError, match="not JUnit"):
        junit.parse(document)


def test_junit_error_is_a_value_error():
    assert issubclass(junit.JUnitError, ValueError)


def test_capitalised_directory_keeps_the_module_path():
    report = junit.parse(SUITE % b'<testcase classname="Tests.test_z.TestK" name="test_a"/>')
    assert list(report.tests) == ["Tests/test_z.py::TestK::test_a"]


def test_a_collection_error_is_named_by_its_file_as_pytest_says_it():
    # pytest --junitxml for a module that fails to import (seen with WebOb on 3.13):
    # an empty classname and the dotted module as the name.
    case = (
        b'<testcase classname="" name="tests.test_lazyfixture">'
        b'<error message="collection failure">ImportError</error></testcase>'
    )
    report = junit.parse(SUITE % case)
    assert report.tests == {"tests/test_lazyfixture.py": "error"}
    assert report.failing == ("tests/test_lazyfixture.py",)
