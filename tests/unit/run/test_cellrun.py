"""Retry folding: which tests become flaky, and what the cell's status becomes."""

from __future__ import annotations

from orchestrator.models import Cell, CellResult, TestCounts
from orchestrator.run import cellrun, container, junit

CELL = Cell(id="py3.11", python="3.11", deps={})
A, B, C = "tests/test_x.py::test_a", "tests/test_x.py::test_b", "tests/test_x.py::test_c"


def _report(**outcomes: str) -> junit.Report:
    tests = {f"tests/test_x.py::test_{k}": v for k, v in outcomes.items()}
    counts = TestCounts(
        passed=sum(v == "passed" for v in tests.values()),
        failed=sum(v == "failed" for v in tests.values()),
    )
    return junit.Report(counts=counts, tests=tests)


def _first(report: junit.Report) -> CellResult:
    return CellResult(
        cell=CELL,
        status="failed",
        duration=1.0,
        counts=report.counts,
        failing_tests=report.failing,
        tests=report.tests,
        junit=True,
        exit_code=1,
        message=f"{len(report.failing)} failing test(s)",
    )


def _attempt(report: junit.Report | None, status: str = "failed") -> cellrun.Attempt:
    outcome = container.Outcome(exit_code=1, timed_out=False, junit_xml=None, freeze=None)
    return cellrun.Attempt(outcome=outcome, report=report, status=status, message="")


def test_a_test_that_passes_on_retry_is_flaky_and_the_real_failure_stays():
    first = _first(_report(a="passed", b="failed", c="failed"))
    result = cellrun.with_retries(first, [_attempt(_report(a="passed", b="passed", c="failed"))])
    assert result.status == "failed"
    assert result.flaky_tests == (B,)
    assert result.failing_tests == (C,)
    assert result.tests[B] == "flaky"
    assert result.counts.failed == 1


def test_a_cell_whose_only_failures_were_flaky_passes_with_a_note():
    first = _first(_report(a="passed", b="failed"))
    result = cellrun.with_retries(first, [_attempt(_report(a="passed", b="passed"), "passed")])
    assert result.status == "passed"
    assert result.flaky_tests == (B,)
    assert result.failing_tests == ()
    assert "1 flaky test(s)" in result.message


def test_a_failure_in_every_attempt_is_not_flaky():
    first = _first(_report(a="failed"))
    result = cellrun.with_retries(first, [_attempt(_report(a="failed"))] * 2)
    assert result.status == "failed"
    assert result.flaky_tests == ()
    assert result.failing_tests == (A,)


def test_without_junit_a_retry_that_passes_makes_the_cell_pass_as_flaky():
    first = CellResult(
        cell=CELL, status="failed", duration=1.0, exit_code=1, message="test command exited with 1"
    )
    result = cellrun.with_retries(first, [_attempt(None, "passed")])
    assert result.status == "passed"
    assert "flaky" in result.message


def test_no_retries_leave_the_result_alone():
    first = _first(_report(a="failed"))
    assert cellrun.with_retries(first, []) is first


def test_a_retry_that_ran_only_the_failed_tests_folds_the_same_way():
    # Retries run only the failing tests: their report holds nothing else.
    first = _first(_report(a="passed", b="failed", c="failed"))
    retry = junit.Report(counts=TestCounts(passed=1, failed=1), tests={B: "passed", C: "failed"})
    result = cellrun.with_retries(first, [_attempt(retry)])
    assert result.flaky_tests == (B,)
    assert result.failing_tests == (C,)
    assert result.tests[A] == "passed"
    assert result.counts.passed == 1 and result.counts.failed == 1
