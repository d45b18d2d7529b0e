"""Failure signatures, clusters, causes, end-of-life support and the bisection search."""

from __future__ import annotations

from datetime import date

import pytest

from orchestrator.models import Failure
from orchestrator.results import FirstBad, RunResults
from orchestrator.run import junit
from orchestrator.verdict import compute
from orchestrator.verdict.bisect import Search, Target, targets
from orchestrator.verdict.clusters import UNKNOWN, cell_clusters, normalise, signature
from orchestrator.verdict.support import end_of_life, past_end_of_life
from tests.unit import bigrun


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("got an unexpected keyword argument 'method_whitelist'", None),
        ("assert 3 == 4", "assert N == N"),
        ("<Foo object at 0x7fab12> is not <Bar at 0x7fab34>", "<…> is not <…>"),
        ("bad id 0xdeadbeef", "bad id 0x…"),
        ("No such file: '/tmp/pytest-of-u/pytest-3/test_a0/x.txt'", "No such file: '<tmp>'"),
        ("expected '" + "a" * 60 + "'", "expected '…'"),
        ("took 1.25 s, retried 3 times", "took N s, retried N times"),
    ],
)
def test_volatile_parts_are_normalised(message, expected):
    assert normalise(message) == (message if expected is None else expected)


def test_signature_is_type_and_normalised_message():
    assert signature(Failure.of("TypeError", "f() got 3 args")) == "TypeError: f() got N args"
    assert signature(None) == UNKNOWN
    assert signature(Failure()) == UNKNOWN


def test_cell_clusters_largest_first_with_where():
    failures = {
        "a": Failure.of("E", "x 1", "src/m.py:3"),
        "b": Failure.of("E", "x 2", "src/m.py:3"),
        "c": Failure.of("F", "y"),
    }
    clusters = cell_clusters(["c", "a", "b", "d"], failures)
    assert [(c.signature, c.tests, c.where) for c in clusters] == [
        ("E: x N", ("a", "b"), "src/m.py:3"),
        ("F: y", ("c",), ""),
        (UNKNOWN, ("d",), ""),
    ]
    # Without JUnit, the log's last exception is the cell's one cluster.
    (only,) = cell_clusters([], {}, Failure.of("ImportError", "no cgi"))
    assert only.signature == "ImportError: no cgi" and only.tests == ()


def test_junit_keeps_each_failure_type_message_and_place():
    document = b"""<testsuite>
      <testcase classname="tests.test_cli" name="test_r" time="0.1">
        <failure message="AttributeError: module 'click' has no attribute 'get_terminal_size'">
    def test_r():
&gt;       render_table()

src/sample_app/cli.py:18: in render_table
    width, _ = click.get_terminal_size()
E   AttributeError: module 'click' has no attribute 'get_terminal_size'

/opt/venv/lib/python3.11/site-packages/sample_app/cli.py:18: AttributeError</failure>
      </testcase>
      <testcase classname="tests.test_x" name="test_e"><error message="failed on setup">
E   RuntimeError: no database
tests/conftest.py:7: RuntimeError</error></testcase>
      <testcase classname="tests.test_x" name="test_ok"/>
    </testsuite>"""
    report = junit.parse(document)
    assert report.failures == {
        "tests/test_cli.py::test_r": Failure(
            "AttributeError",
            "module 'click' has no attribute 'get_terminal_size'",
            "sample_app/cli.py:18",
        ),
        "tests/test_x.py::test_e": Failure(
            "RuntimeError", "failed on setup", "tests/conftest.py:7"
        ),
    }


def test_junit_failure_messages_are_bounded_and_one_line():
    long = "x" * 5000
    document = f'<testsuite><testcase name="t"><failure message="{long}&#10;two">t</failure>'
    report = junit.parse((document + "</testcase></testsuite>").encode())
    assert len(report.failures["t"].message) == 300 and "\n" not in report.failures["t"].message


def test_last_exception_of_a_log():
    log = (
        b"collecting\nTraceback (most recent call last):\n  File 'x'\n"
        b"ModuleNotFoundError: No module named 'cgi'\nFAILED\n"
    )
    assert junit.last_exception(log) == Failure("ModuleNotFoundError", "No module named 'cgi'")
    assert junit.last_exception(b"all good\n") is None


def test_results_with_failures_round_trip_and_older_ones_read():
    run = bigrun.run()
    again = RunResults.from_dict(run.to_dict())
    assert again.cells[-1].failures == run.cells[-1].failures
    older = run.cells[-1].to_dict()
    del older["failures"], older["log_failure"]
    assert RunResults.from_dict({"cells": [older]}).cells[0].failures == {}


@pytest.mark.parametrize(
    ("python", "today", "past"),
    [
        ("3.9", date(2025, 10, 31), False),
        ("3.9", date(2025, 11, 1), True),
        ("3.13", date(2026, 11, 26), False),
        ("3.10.12", date(2026, 11, 26), True),
        ("3.99", date(2099, 1, 1), False),  # unknown: not marked
    ],
)
def test_end_of_life(python, today, past):
    assert past_end_of_life(python, today) is past


def test_end_of_life_dates_ship_with_the_package():
    assert [end_of_life(f"3.{n}") for n in range(9, 16)] == [f"{2025 + i}-10" for i in range(7)]


def test_require_supported_keeps_past_eol_cells_out_of_the_recommendation():
    from dataclasses import replace

    cells = tuple(bigrun.result(p, u) for p in ("3.9", "3.10") for u in ("1.26.18", "1.26.20"))
    run = replace(bigrun.run(), cells=cells)
    on = compute(replace(run, require_supported=True), today=date(2026, 11, 26))
    off = compute(run, today=date(2026, 11, 26))
    assert off.recommended == "py3.10-urllib31.26.20"
    assert on.recommended is None
    assert any("run.require_supported" in w for w in on.warnings)
    assert on.cell("py3.10-urllib31.26.20").unsupported


def _target() -> Target:
    return Target(
        "py3.11-click8.1.8",
        {"python": "3.11", "click": "8.1.8"},
        "click",
        "7.1.2",
        "8.1.8",
        {"AttributeError: gone": ("t1",), "TypeError: moved": ("t2",)},
    )


RELEASES = ["8.0.0", "8.0.1", "8.0.2", "8.0.3", "8.0.4", "8.1.0", "8.1.1", "8.1.2", "8.1.3"]


def test_bisection_finds_each_clusters_first_bad_release():
    search = Search(_target(), list(RELEASES), {"8.1.0": "2022-03-28"})

    def failing(release: str) -> dict[str, str]:
        found = {}
        if RELEASES.index(release) >= RELEASES.index("8.1.0"):
            found["t1"] = "AttributeError: gone"
        if RELEASES.index(release) >= RELEASES.index("8.0.2"):
            found["t2"] = "TypeError: moved"
        return found

    while (release := search.next_release()) is not None:
        search.observe(release, failing(release))
    assert len(search.tried) <= 6
    found = {f.signature: f for f in search.findings("runs/x")}
    gone, moved = found["AttributeError: gone"], found["TypeError: moved"]
    assert (gone.good, gone.bad, gone.uploaded) == ("8.0.4", "8.1.0", "2022-03-28")
    assert (moved.good, moved.bad) == ("8.0.1", "8.0.2")
    assert gone.text == (
        "click 8.1.0 (uploaded 2022-03-28) is the first release with AttributeError: gone "
        "(1 test; last good: 8.0.4)"
    )


def test_a_release_that_cannot_run_is_left_out():
    search = Search(_target(), ["8.0.0", "8.1.0"])
    search.observe("8.1.0", None)
    search.observe("8.0.0", {})
    assert search.next_release() is None
    (gone, _) = search.findings()
    assert (gone.good, gone.bad) == ("8.0.0", "8.1.8")  # the bad end itself


def test_targets_of_a_single_culprit_and_of_attributions():
    judged = compute(bigrun.run(), today=date(2026, 11, 26))
    (one,) = targets(judged, "py3.12-urllib32.2.3")
    assert (one.axis, one.good, one.bad) == ("urllib3", "1.26.20", "2.2.3")
    # The 40 pool tests break only with python 3.12 and urllib3 2.2 together: not bisected.
    assert [len(t) for t in one.clusters.values()] == [400]
    (two,) = targets(judged, "py3.13-urllib32.2.3")  # python's change is not bisected
    assert (two.axis, two.good) == ("urllib3", "1.26.20") and len(two.clusters) == 1
    assert targets(judged, "py3.13-urllib31.26.20") == []  # python alone


def test_first_bad_shows_in_verdict_and_reports():
    from dataclasses import replace

    from orchestrator import report

    found = FirstBad(
        "py3.13-urllib32.2.3",
        "urllib3",
        "1.26.20",
        "2.0.0",
        "2023-04-26",
        "TypeError: x",
        ("t",),
        ("2.0.0",),
    )
    run = replace(bigrun.run(), first_bad=(found,))
    judged = compute(run, today=date(2026, 11, 26))
    assert judged.first_bad == (found,)
    text = "urllib3 2.0.0 (uploaded 2023-04-26) is the first release with TypeError: x"
    for fmt in ("terminal", "markdown", "html", "json", "junit"):
        assert text in report.render(fmt, run, judged), fmt


def test_require_supported_travels_from_the_matrix_to_the_results(tmp_path):
    from orchestrator.plan.matrix import load_matrix
    from orchestrator.plan.resolve import resolve
    from orchestrator.run.results import summarize
    from tests.conftest import ROOT

    matrix = tmp_path / "m.yaml"
    matrix.write_text(
        f"name: m\nproject: {{path: {ROOT / 'examples' / 'sample-app'}}}\n"
        'axes: {python: ["3.9", "3.13"], click: ["7.1.2"]}\n'
        "run: {require_supported: true}\n"
    )
    plan = resolve(load_matrix(matrix))
    assert plan.run.require_supported is True
    data = summarize("r", plan, {}).to_dict()
    assert data["require_supported"] is True
    assert RunResults.from_dict(data).require_supported is True
