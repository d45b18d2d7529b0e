"""What changed between two runs: status changes (also across a cell whose id changed
because a selector picked a newer release), tests that newly fail or pass, resolved
versions with upload dates, new releases, what --fail-on new fails on, and the diff as
a report section in every format."""

from __future__ import annotations

import json

from orchestrator import report
from orchestrator.errors import PackageIndexError
from orchestrator.history import failon
from orchestrator.history.diff import Side, compare, with_dates
from orchestrator.history.render import DiffSection
from orchestrator.models import Cell, CellResult, TestCounts
from orchestrator.results import NotRun, RunResults
from orchestrator.verdict import compute

T1, T2 = "tests/test_a.py::test_one", "tests/test_a.py::test_two"


def result(cell_id: str, status: str, click: str, tests: dict[str, str], **packages: str):
    cell = Cell(cell_id, "3.11", {"click": click}, baseline=cell_id.endswith("7.1.2"))
    failing = tuple(t for t, o in tests.items() if o == "failed")
    return CellResult(
        cell=cell,
        status=status,  # type: ignore[arg-type]
        duration=1.0,
        counts=TestCounts(passed=len(tests) - len(failing), failed=len(failing)),
        failing_tests=failing,
        tests=tests,  # type: ignore[arg-type]
        junit=True,
        packages={"click": click, **packages},
    )


def run(run_id: str, *cells: CellResult, not_run: tuple[str, ...] = ()) -> RunResults:
    return RunResults(
        run_id=run_id,
        name="demo",
        baseline="py3.11-click7.1.2",
        cells=cells,
        not_run=tuple(NotRun(i) for i in not_run),
    )


BEFORE = run(
    "r1",
    result("py3.11-click7.1.2", "passed", "7.1.2", {T1: "passed", T2: "passed"}, pluggy="1.5.0"),
    result("py3.11-click8.1.8", "passed", "8.1.8", {T1: "passed", T2: "passed"}, pluggy="1.5.0"),
)
AFTER = run(
    "r2",
    result("py3.11-click7.1.2", "passed", "7.1.2", {T1: "passed", T2: "passed"}, pluggy="1.6.0"),
    result("py3.11-click8.2.1", "failed", "8.2.1", {T1: "passed", T2: "failed"}, pluggy="1.6.0"),
)
RESOLVED_BEFORE = {"python": ("3.11",), "click": ("7.1.2", "8.1.8")}
RESOLVED_AFTER = {"python": ("3.11",), "click": ("7.1.2", "8.2.1")}


def diff():
    return compare(Side(BEFORE, RESOLVED_BEFORE), Side(AFTER, RESOLVED_AFTER))


def test_a_cell_replaced_through_a_selector_is_paired_with_the_one_it_replaced():
    found = diff()
    assert [(c.before_id, c.after_id, c.before, c.after) for c in found.statuses] == [
        ("py3.11-click8.1.8", "py3.11-click8.2.1", "passed", "failed")
    ]
    assert [(t.cell, t.newly_failing, t.newly_passing) for t in found.tests] == [
        ("py3.11-click8.2.1", (T2,), ())
    ]
    assert [(r.axis, r.version) for r in found.releases] == [("click", "8.2.1")]
    changed = {(v.cell, v.package): (v.before, v.after) for v in found.versions}
    assert changed == {
        ("py3.11-click7.1.2", "pluggy"): ("1.5.0", "1.6.0"),
        ("py3.11-click8.2.1", "click"): ("8.1.8", "8.2.1"),
        ("py3.11-click8.2.1", "pluggy"): ("1.5.0", "1.6.0"),
    }


def test_upload_dates_come_from_the_lookup_and_a_failing_lookup_leaves_a_note():
    asked = []

    def lookup(wanted):
        asked.append(set(wanted))
        return {("click", "8.2.1"): "2025-05-20T17:39:10Z", ("pluggy", "1.6.0"): "2025-05-15"}

    dated = with_dates(diff(), lookup)
    assert asked == [{("click", "8.2.1"), ("pluggy", "1.6.0")}]
    assert {r.version: r.uploaded for r in dated.releases} == {"8.2.1": "2025-05-20T17:39:10Z"}
    assert {v.uploaded for v in dated.versions} == {"2025-05-20T17:39:10Z", "2025-05-15"}

    def broken(wanted):
        raise PackageIndexError("cannot reach the index")

    noted = with_dates(diff(), broken)
    assert noted.notes == ("upload dates unavailable: cannot reach the index",)


def test_newly_passing_tests_and_fixed_cells_are_not_news():
    found = compare(Side(AFTER, RESOLVED_AFTER), Side(AFTER, RESOLVED_AFTER))
    assert found.empty and found.news() == []
    fixed = compare(Side(AFTER, RESOLVED_AFTER), Side(BEFORE, RESOLVED_BEFORE))
    assert [(t.newly_failing, t.newly_passing) for t in fixed.tests] == [((), (T2,))]
    assert fixed.news() == []


def test_fail_on_modes():
    later = compare(Side(BEFORE, RESOLVED_BEFORE), Side(AFTER, RESOLVED_AFTER))
    verdict = compute(AFTER)
    ids = [c.cell.id for c in AFTER.cells]
    assert failon.failures("any", AFTER, verdict, later, ids) == ["py3.11-click8.2.1: failed"]
    assert failon.failures("regression", AFTER, verdict, later, ids) == [
        "py3.11-click8.2.1: 1 regression(s)"
    ]
    news = failon.failures("new", AFTER, verdict, later, ids)
    assert news == [
        "py3.11-click8.1.8 -> py3.11-click8.2.1: passed -> failed",
        f"py3.11-click8.2.1: newly failing: {T2}",
    ]
    # Known breakage, the same as last night: a nightly job stays green.
    again = compare(Side(AFTER, RESOLVED_AFTER), Side(AFTER, RESOLVED_AFTER))
    assert failon.failures("new", AFTER, verdict, again, ids) == []
    assert failon.exit_code([]) == 0 and failon.exit_code(["x"]) == 1
    # No previous run: everything is news, judged as "any".
    assert failon.failures("new", AFTER, verdict, None, ids) == ["py3.11-click8.2.1: failed"]


def test_a_new_cell_that_fails_is_news_and_a_cell_not_run_is_not_ignored():
    extra = result("py3.13-click7.1.2", "error", "7.1.2", {})
    later = run("r3", *AFTER.cells, extra, not_run=())
    found = compare(Side(AFTER, RESOLVED_AFTER), Side(later, RESOLVED_AFTER))
    assert [text for text, _ in found.news()] == ["py3.13-click7.1.2: not run -> error"]
    missing = run("r4", AFTER.cells[0], not_run=("py3.11-click8.2.1",))
    gone = compare(Side(AFTER, RESOLVED_AFTER), Side(missing, RESOLVED_AFTER))
    assert [text for text, _ in gone.news()] == ["py3.11-click8.2.1: failed -> not run"]


def test_the_section_in_every_report_format_escapes_what_it_shows():
    hostile = run(
        "r2",
        result("py3.11-click7.1.2", "passed", "7.1.2", {T1: "passed"}),
        result("py3.11-click8.2.1", "failed", "8.2.1", {"<b>x</b>\x1b[2J": "failed"}),
    )
    before = run(
        "r1",
        result("py3.11-click7.1.2", "passed", "7.1.2", {T1: "passed"}),
        result("py3.11-click8.1.8", "passed", "8.1.8", {"<b>x</b>\x1b[2J": "passed"}),
    )
    section = DiffSection(compare(Side(before, RESOLVED_BEFORE), Side(hostile, RESOLVED_AFTER)))
    verdict = compute(hostile)
    html = report.render("html", hostile, verdict, [section])
    assert '<section id="diff">' in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "\x1b" not in html
    markdown = report.render("markdown", hostile, verdict, [section])
    assert "## Since the previous run (r1 -> r2)" in markdown
    assert "Tests that newly fail" in markdown and "\\<b>x\\</b>" in markdown
    data = json.loads(report.render("json", hostile, verdict, [section]))
    assert data["diff"]["releases"] == [{"axis": "click", "version": "8.2.1", "uploaded": None}]
    assert data["recommended"] == verdict.recommended
    text = report.render("terminal", hostile, verdict, [section])
    assert "Cells whose status changed:" in text and "\x1b" not in text
    assert report.render("junit", hostile, verdict, [section]) == report.render(
        "junit", hostile, verdict
    )
